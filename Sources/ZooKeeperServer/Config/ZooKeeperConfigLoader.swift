/// Reading zoo.cfg, the environment overrides and `myid` into a `ZooKeeperConfig`.
///
/// Environment variables follow the official `zookeeper` image's entrypoint, which writes
/// them into zoo.cfg: `ZOO_TICK_TIME`, `ZOO_INIT_LIMIT`, `ZOO_SYNC_LIMIT`,
/// `ZOO_MAX_CLIENT_CNXNS`, `ZOO_STANDALONE_ENABLED`, `ZOO_AUTOPURGE_PURGEINTERVAL`,
/// `ZOO_AUTOPURGE_SNAPRETAINCOUNT`, `ZOO_4LW_COMMANDS_WHITELIST`, `ZOO_DATA_DIR`,
/// `ZOO_DATA_LOG_DIR`, `ZOO_CLIENT_PORT` (also Bitnami's `ZOO_PORT_NUMBER`), `ZOO_SERVERS`
/// (whitespace- or comma-separated `server.N=...` entries, replacing the file's),
/// `ZOO_CFG_EXTRA` (whitespace-separated `key=value`), and `ZOO_MY_ID` (the node id; written
/// to `dataDir/myid` when that file is missing, as the image does). The environment wins.
extension ZooKeeperConfig {
    static let environmentKeys: [(variable: String, key: String)] = [
        ("ZOO_TICK_TIME", "tickTime"), ("ZOO_INIT_LIMIT", "initLimit"), ("ZOO_SYNC_LIMIT", "syncLimit"),
        ("ZOO_MAX_CLIENT_CNXNS", "maxClientCnxns"), ("ZOO_STANDALONE_ENABLED", "standaloneEnabled"),
        ("ZOO_AUTOPURGE_PURGEINTERVAL", "autopurge.purgeInterval"),
        ("ZOO_AUTOPURGE_SNAPRETAINCOUNT", "autopurge.snapRetainCount"),
        ("ZOO_4LW_COMMANDS_WHITELIST", "4lw.commands.whitelist"), ("ZOO_DATA_DIR", "dataDir"),
        ("ZOO_DATA_LOG_DIR", "dataLogDir"), ("ZOO_PORT_NUMBER", "clientPort"), ("ZOO_CLIENT_PORT", "clientPort"),
        ("ZOO_ADMINSERVER_ENABLED", "admin.enableServer"),
    ]

    /// Loads `path` (nil: environment only), applies the environment, reads `myid`.
    public static func load(path: String?, environment: [String: String] = [:]) throws(ZooKeeperConfigError) -> ZooKeeperConfig {
        var pairs: [(String, String)] = []
        if let path {
            let text: String
            do { text = try FileSystem.readText(path) } catch { throw .unreadable(path: path, reason: "\(error)") }
            pairs = parseProperties(text)
        }
        pairs += environmentPairs(environment, replacingServers: &pairs)
        var config = try from(pairs: pairs)
        config.source = path ?? "environment"
        try config.resolveMyId(environment: environment)
        try config.validate()
        return config
    }

    /// Java-properties lines: `key=value`, `key: value` or `key value`; `#` and `!` comments.
    static func parseProperties(_ text: String) -> [(String, String)] {
        var result: [(String, String)] = []
        // `isNewline`: "\r\n" is a single Character, equal neither to "\n" nor to "\r".
        for rawLine in text.split(whereSeparator: { $0.isNewline }) {
            let line = String(rawLine).trimming(" \t")
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" || $0 == " " || $0 == "\t" }) else {
                result.append((line, ""))
                continue
            }
            let key = String(line[..<separator]).trimming(" \t")
            var value = Substring(line[line.index(after: separator)...])
            value = value.drop { $0 == " " || $0 == "\t" }
            if line[separator] == " " || line[separator] == "\t", let first = value.first, first == "=" || first == ":" {
                value = value.dropFirst()
            }
            result.append((key, String(value).trimming(" \t")))
        }
        return result
    }

    private static func environmentPairs(_ environment: [String: String], replacingServers pairs: inout [(String, String)]) -> [(String, String)] {
        var result: [(String, String)] = []
        for (variable, key) in environmentKeys {
            if let value = environment[variable], !value.isEmpty { result.append((key, value)) }
        }
        if let servers = environment["ZOO_SERVERS"], !servers.isEmpty {
            pairs.removeAll { $0.0.hasPrefix("server.") }
            for entry in servers.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" }) {
                guard let equals = entry.firstIndex(of: "=") else { continue }
                result.append((String(entry[..<equals]), String(entry[entry.index(after: equals)...])))
            }
        }
        if let extra = environment["ZOO_CFG_EXTRA"] {
            for entry in extra.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                guard let equals = entry.firstIndex(of: "=") else { continue }
                result.append((String(entry[..<equals]), String(entry[entry.index(after: equals)...])))
            }
        }
        return result
    }

    /// Applies key/value pairs in order (a later one wins).
    static func from(pairs: [(String, String)]) throws(ZooKeeperConfigError) -> ZooKeeperConfig {
        var config = ZooKeeperConfig(dataDir: "", clientPort: nil)
        var dataLogDir: String?
        var effective: [String: Int] = [:]
        for (key, value) in pairs {
            if let index = effective[key] {
                config.entries[index].value = value
            } else {
                effective[key] = config.entries.count
                config.entries.append((key, value))
            }
            func int(min: Int = Int.min) throws(ZooKeeperConfigError) -> Int {
                guard let number = Int(value), number >= min else {
                    throw .invalid(key: key, value: value, reason: min == Int.min ? "not a number" : "must be a number of at least \(min)")
                }
                return number
            }
            func bool() throws(ZooKeeperConfigError) -> Bool {
                switch value.lowercased() {
                case "true", "yes": return true
                case "false", "no": return false
                default: throw .invalid(key: key, value: value, reason: "must be true or false")
                }
            }
            switch key {
            case "tickTime": config.tickTime = try int(min: 1)
            case "initLimit": config.initLimit = try int(min: 1)
            case "syncLimit": config.syncLimit = try int(min: 1)
            case "dataDir": config.dataDir = value
            case "dataLogDir": dataLogDir = value
            case "clientPort": config.clientPort = try int(min: 0)
            case "clientPortAddress": config.clientPortAddress = value
            case "maxClientCnxns": config.maxClientCnxns = try int(min: 0)
            case "minSessionTimeout": config.minSessionTimeoutSetting = try int(min: -1)
            case "maxSessionTimeout": config.maxSessionTimeoutSetting = try int(min: -1)
            case "standaloneEnabled": config.standaloneEnabled = try bool()
            case "autopurge.snapRetainCount": config.autopurgeSnapRetainCount = max(3, try int(min: 0))
            case "autopurge.purgeInterval": config.autopurgePurgeInterval = try int(min: 0)
            case "4lw.commands.whitelist":
                config.fourLetterWordWhitelist = Set(value.split(separator: ",").map { $0.trimming(" \t") }.filter { !$0.isEmpty })
            case "snapCount", "zookeeper.snapCount": config.snapCount = try int(min: 2)
            case "preAllocSize", "zookeeper.preAllocSize": config.preAllocSizeKB = try int(min: 1)
            case "forceSync", "zookeeper.forceSync": config.forceSync = try bool()
            case "extendedTypesEnabled", "zookeeper.extendedTypesEnabled": config.extendedTypesEnabled = try bool()
            case "znode.container.checkIntervalMs": config.containerCheckIntervalMs = try int(min: 1)
            case "znode.container.maxNeverUsedIntervalMs": config.containerMaxNeverUsedIntervalMs = try int(min: 0)
            case "jute.maxbuffer", "zookeeper.jute.maxbuffer": config.juteMaxBuffer = try int(min: 1024)
            case "globalOutstandingLimit", "zookeeper.globalOutstandingLimit": config.globalOutstandingLimit = try int(min: 1)
            case "DigestAuthenticationProvider.superDigest", "zookeeper.DigestAuthenticationProvider.superDigest":
                config.superDigest = value
            case "skipACL", "zookeeper.skipACL": config.skipACL = try bool()
            default:
                if key.hasPrefix("server.") {
                    guard let id = Int64(key.dropFirst("server.".count)), id >= 0 else {
                        throw .invalid(key: key, value: value, reason: "server ids are non-negative numbers")
                    }
                    config.servers[id] = try QuorumServer.parse(id: id, value)
                } else {
                    config.ignored.append(key)
                }
            }
        }
        config.dataLogDir = dataLogDir ?? config.dataDir
        return config
    }

    /// `ZOO_MY_ID`, else `dataDir/myid`; required for an ensemble.
    mutating func resolveMyId(environment: [String: String]) throws(ZooKeeperConfigError) {
        let myidPath = dataDir + "/myid"
        if let fromEnvironment = environment["ZOO_MY_ID"], !fromEnvironment.isEmpty {
            guard let id = Int64(fromEnvironment.trimming(" \t\n")), id >= 0 else {
                throw .invalid(key: "ZOO_MY_ID", value: fromEnvironment, reason: "not a server id")
            }
            myId = id
            if !dataDir.isEmpty && !FileSystem.exists(myidPath) {
                do {
                    try FileSystem.createDirectories(dataDir)
                    try FileSystem.writeAtomically(Array("\(id)\n".utf8), to: myidPath)
                } catch {
                    throw .unreadable(path: myidPath, reason: "cannot write: \(error)")
                }
            }
            return
        }
        if FileSystem.exists(myidPath) {
            let text: String
            do { text = try FileSystem.readText(myidPath) } catch { throw .unreadable(path: myidPath, reason: "\(error)") }
            guard let id = Int64(text.trimming(" \t\r\n")), id >= 0 else {
                throw .invalid(key: "myid", value: text, reason: "\(myidPath) must hold the server id")
            }
            myId = id
        } else if !isStandalone {
            throw .missing(key: "myid (file \(myidPath) or ZOO_MY_ID)")
        }
    }

    func validate() throws(ZooKeeperConfigError) {
        if dataDir.isEmpty { throw .missing(key: "dataDir") }
        // The ensemble first: this node's client port may come from its server line.
        if !isStandalone {
            if initLimit == nil { throw .missing(key: "initLimit") }
            if syncLimit == nil { throw .missing(key: "syncLimit") }
            if servers[myId] == nil {
                throw .invalid(key: "myid", value: "\(myId)", reason: "no server.\(myId) line names this node")
            }
        }
        guard let port = effectiveClientPort else { throw .missing(key: "clientPort") }
        if port > 65535 { throw .invalid(key: "clientPort", value: "\(port)", reason: "must be at most 65535") }
        if minSessionTimeout > maxSessionTimeout {
            throw .invalid(
                key: "minSessionTimeout", value: "\(minSessionTimeout)",
                reason: "must not be larger than maxSessionTimeout (\(maxSessionTimeout))")
        }
    }
}
