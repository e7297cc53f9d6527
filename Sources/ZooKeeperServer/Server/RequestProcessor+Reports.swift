import Glibc
import Network
import ZooKeeperProtocol

/// The text of the four-letter words, laid out as ZooKeeper 3.8 prints them (its `Command`
/// classes), so scripts and monitoring that parse them keep working.
///
/// Built from the processor's own state, with the processor to itself. `fourLetterAnswer` is
/// called from a network thread: under the node's event loop it runs at once (it already has
/// the processor); otherwise it waits for the queue, which is safe because the processor never
/// waits for a network thread (it only queues work onto them), and brief because one request
/// at a time runs there.
extension RequestProcessor {
    func fourLetterAnswer(_ word: FourLetterWord, asker: ConnectionInfo) -> String {
        exclusively { answer(word, asker: asker) }
    }

    private func answer(_ word: FourLetterWord, asker: ConnectionInfo) -> String {
        // The word is a packet received, by the server and by the asking connection.
        stats.received()
        connectionList.first { $0.info.id == asker.id }?.stats.received()
        if word == .ruok { return "imok" }
        if word == .isro { return "rw" }
        // An ensemble member without a leader serves nothing, as ZooKeeper's says.
        let looking = ensemble.mode == .looking && word != .conf && word != .envi
        guard isServing && !looking else { return "This ZooKeeper instance is not currently serving requests\n" }
        switch word {
        case .srvr: return serverReport(withClients: false)
        case .stat: return serverReport(withClients: true)
        case .cons: return connectionsReport(asker: asker)
        case .crst:
            for connection in connectionList { connection.stats.reset() }
            return "Connection stats reset.\n"
        case .srst:
            stats.reset()
            return "Server stats reset.\n"
        case .conf: return configurationReport()
        case .envi: return environmentReport()
        case .mntr: return monitorReport()
        case .wchs:
            let byConnection = dataWatchesByConnection
            let paths = Set(byConnection.values.joined()).count
            let total = byConnection.values.reduce(0) { $0 + $1.count }
            return "\(byConnection.count) connections watching \(paths) paths\nTotal watches:\(total)\n"
        case .wchc: return watchesBySessionReport()
        case .wchp: return watchesByPathReport()
        case .dirs: return "datadir_size: \(snapshotDirectorySize)\nlogdir_size: \(logDirectorySize)\n"
        case .dump: return dumpReport()
        // ZooKeeper's default trace mask; there is no tracing to mask here.
        case .gtmk: return "306"
        // Digests of the data tree are off, as by default in ZooKeeper: nothing to list.
        case .hash: return ""
        // stmk carries eight more bytes the first-word hook cannot read: answered empty.
        case .stmk, .ruok, .isro: return ""
        }
    }

    /// `srvr`, and `stat` with the list of clients after the version line.
    private func serverReport(withClients: Bool) -> String {
        var text = "Zookeeper version: \(versionText)\n"
        if withClients {
            text += "Clients:\n"
            for connection in connectionList { text += " " + shortLine(connection) + "\n" }
            text += "\n"
        }
        let values = stats.snapshot
        text += "Latency min/avg/max: \(values.latencyText)\n"
        text += "Received: \(values.packetsReceived)\n"
        text += "Sent: \(values.packetsSent)\n"
        text += "Connections: \(connectionList.count)\n"
        text += "Outstanding: \(outstanding)\n"
        text += "Zxid: 0x\(hex(database.lastZxid))\n"
        text += "Mode: \(ensemble.mode.name)\n"
        text += "Node count: \(nodeCount)\n"
        return text
    }

    /// ZooKeeper keeps the root under two keys ("" and "/"), so its count is one higher than
    /// the number of znodes; printed the same way.
    var nodeCount: Int { database.tree.nodes.count + 1 }

    /// `/<ip>:<port>[<interest ops>](queued=0,recved=n,sent=n`: a connection with a session
    /// is reading (1), the one asking is not (0).
    private func shortLine(_ connection: ClientConnection) -> String {
        let values = connection.stats.snapshot
        let interest = connection.sessionId == 0 ? 0 : 1
        return "/\(connection.info.remoteHost):\(connection.info.remotePort)[\(interest)](queued=0,recved=\(values.received),sent=\(values.sent))"
    }

    private func connectionsReport(asker: ConnectionInfo) -> String {
        var text = ""
        for connection in connectionList {
            var line = shortLine(connection)
            if connection.sessionId != 0 {
                line.removeLast()
                let v = connection.stats.snapshot
                line += ",sid=0x\(hex(connection.sessionId)),lop=\(v.lastOp),est=\(connection.stats.established),to=\(connection.timeout)"
                line += ",lcxid=0x\(hex(Int64(v.lastCxid))),lzxid=0x\(hex(v.lastZxid)),lresp=\(v.lastResponse),llat=\(v.lastLatency)"
                line += ",minlat=\(v.count == 0 ? 0 : v.minLatency),avglat=\(v.count == 0 ? 0 : v.totalLatency / v.count),maxlat=\(v.maxLatency))"
            }
            text += " " + line + "\n"
        }
        return text + "\n"
    }

    private func configurationReport() -> String {
        var text = "clientPort=\(config.effectiveClientPort ?? 0)\n"
        text += "secureClientPort=-1\n"
        text += "dataDir=\(snapshotDirectory)\n"
        text += "dataDirSize=\(snapshotDirectorySize)\n"
        text += "dataLogDir=\(logDirectory)\n"
        text += "dataLogSize=\(logDirectorySize)\n"
        text += "tickTime=\(config.tickTime)\n"
        text += "maxClientCnxns=\(config.maxClientCnxns)\n"
        text += "minSessionTimeout=\(config.minSessionTimeout)\n"
        text += "maxSessionTimeout=\(config.maxSessionTimeout)\n"
        text += "clientPortListenBacklog=-1\n"
        text += "serverId=\(config.myId)\n"
        return text
    }

    /// ZooKeeper lists Java's system properties; a Swift process has none, so the keys that
    /// describe the host and the process stand in.
    private func environmentReport() -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0 ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "<NA>"
        var system = utsname()
        _ = uname(&system)
        func field<T>(_ value: inout T) -> String {
            withUnsafeBytes(of: &value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let environment = ProcessEnvironment.self
        var text = "Environment:\n"
        text += "zookeeper.version=\(versionText)\n"
        text += "host.name=\(host)\n"
        text += "os.name=\(field(&system.sysname))\n"
        text += "os.arch=\(field(&system.machine))\n"
        text += "os.version=\(field(&system.release))\n"
        text += "user.name=\(environment.value("USER") ?? "<NA>")\n"
        text += "user.home=\(environment.value("HOME") ?? "<NA>")\n"
        text += "user.dir=\(environment.currentDirectory)\n"
        return text
    }

    /// `mntr`: ZooKeeper's core keys (the ones monitoring integrations read), same names and
    /// order; its hundreds of internal histograms are left out.
    private func monitorReport() -> String {
        let values = stats.snapshot
        var pairs: [(String, String)] = [
            ("zk_version", versionText),
            ("zk_server_state", ensemble.mode.name),
            ("zk_ephemerals_count", "\(database.tree.ephemerals.values.reduce(0) { $0 + $1.count })"),
            ("zk_num_alive_connections", "\(connectionList.count)"),
            ("zk_avg_latency", values.averageText),
            ("zk_outstanding_requests", "\(outstanding)"),
            ("zk_znode_count", "\(nodeCount)"),
            ("zk_global_sessions", "\(database.sessions.count)"),
            ("zk_packets_sent", "\(values.packetsSent)"),
            ("zk_packets_received", "\(values.packetsReceived)"),
            ("zk_watch_count", "\(watchCount)"),
            ("zk_auth_failed_count", "\(values.authFailures)"),
            ("zk_min_latency", "\(values.latencyCount == 0 ? 0 : values.minLatency)"),
        ]
        if let limit = ProcessEnvironment.fileDescriptorLimit { pairs.append(("zk_max_file_descriptor_count", "\(limit)")) }
        pairs.append(("zk_approximate_data_size", "\(database.tree.approximateDataSize)"))
        if let open = ProcessEnvironment.openFileDescriptors { pairs.append(("zk_open_file_descriptor_count", "\(open)")) }
        pairs += [
            ("zk_local_sessions", "0"),
            ("zk_uptime", "\(milliseconds(ContinuousClock.now - stats.started))"),
            ("zk_max_latency", "\(values.maxLatency)"),
        ]
        return pairs.map { "\($0.0)\t\($0.1)\n" }.joined()
    }

    /// ZooKeeper keeps data watches (getData, exists, and the persistent kinds) and child
    /// watches (getChildren, persistent) in two tables; wchs, wchc and wchp report the data
    /// table only, mntr's watch count both.
    private func isDataSide(_ path: String, _ watcher: UInt64) -> Bool {
        [WatcherType.data, .persistent, .persistentRecursive].contains { watchManager.contains($0, path: path, watcher: watcher) }
    }

    private var dataWatchesByConnection: [UInt64: [String]] {
        var result: [UInt64: [String]] = [:]
        for (watcher, paths) in watchesByConnection {
            let data = paths.filter { isDataSide($0, watcher) }.sorted()
            if !data.isEmpty { result[watcher] = data }
        }
        return result
    }

    private var watchCount: Int {
        var count = 0
        for (watcher, paths) in watchesByConnection {
            for path in paths {
                if isDataSide(path, watcher) { count += 1 }
                if [WatcherType.children, .persistent].contains(where: { watchManager.contains($0, path: path, watcher: watcher) }) { count += 1 }
            }
        }
        return count
    }

    /// `wchc`: per session, the paths its connection watches.
    private func watchesBySessionReport() -> String {
        var text = ""
        for (connection, paths) in dataWatchesByConnection.sorted(by: { $0.key < $1.key }) {
            text += "0x\(hex(sessionOf(connection: connection)))\n"
            for path in paths.sorted() { text += "\t\(path)\n" }
        }
        return text + "\n"
    }

    /// `wchp`: per path, the sessions watching it.
    private func watchesByPathReport() -> String {
        var text = ""
        var byPath: [String: [UInt64]] = [:]
        for (watcher, paths) in dataWatchesByConnection {
            for path in paths { byPath[path, default: []].append(watcher) }
        }
        for (path, watchers) in byPath.sorted(by: { $0.key < $1.key }) {
            text += "\(path)\n"
            for watcher in watchers.sorted() { text += "\t0x\(hex(sessionOf(connection: watcher)))\n" }
        }
        return text + "\n"
    }

    /// `dump`: sessions with their timeouts, then ephemeral nodes by session. ZooKeeper's
    /// standalone dump groups sessions by expiry bucket and lists connections too; this is
    /// the simpler layout its leader prints.
    private func dumpReport() -> String {
        var text = "SessionTracker dump:\nGlobal Sessions(\(database.sessions.count)):\n"
        for (session, timeout) in database.sessions.sorted(by: { $0.key < $1.key }) {
            text += "0x\(hex(session))\t\(timeout)ms\n"
        }
        let ephemerals = database.tree.ephemerals.filter { !$0.value.isEmpty }
        text += "ephemeral nodes dump:\nSessions with Ephemerals (\(ephemerals.count)):\n"
        for (session, paths) in ephemerals.sorted(by: { $0.key < $1.key }) {
            text += "0x\(hex(session)):\n"
            for path in paths.sorted() { text += "\t\(path)\n" }
        }
        return text
    }

    var snapshotDirectory: String { config.dataDir + "/" + StorageFiles.versionDirectory }
    var logDirectory: String { config.dataLogDir + "/" + StorageFiles.versionDirectory }
    private var snapshotDirectorySize: Int { Self.directorySize(snapshotDirectory) }
    private var logDirectorySize: Int { Self.directorySize(logDirectory) }

    /// Bytes of the files directly in `directory` (what `dirs` and `conf` report).
    static func directorySize(_ directory: String) -> Int {
        guard let names = try? FileSystem.list(directory) else { return 0 }
        var total = 0
        for name in names {
            var info = stat()
            if stat(directory + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { total += Int(info.st_size) }
        }
        return total
    }
}

private func hex(_ value: Int64) -> String { String(UInt64(bitPattern: value), radix: 16) }

private func milliseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
}

/// The few facts about the process that `envi` and `mntr` report.
enum ProcessEnvironment {
    static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    static var currentDirectory: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "<NA>" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static var fileDescriptorLimit: Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return Int(limit.rlim_cur)
    }

    static var openFileDescriptors: Int? {
        (try? FileSystem.list("/proc/self/fd")).map(\.count)
    }
}
