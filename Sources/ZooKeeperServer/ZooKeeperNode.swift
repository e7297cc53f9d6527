import Dispatch
import Logging
import Network
import Synchronization

/// One standalone ZooKeeper-compatible node (ZooKeeper's `ZooKeeperServerMain`): recovers the
/// database from `dataDir`/`dataLogDir`, then serves clients on `clientPort` until shut down.
///
/// **Lifecycle.** `init` checks the configuration; `start()` recovers (newest readable
/// snapshot, then the transaction log after it, a torn tail truncated), writes a fresh
/// snapshot when the log had anything to replay, starts the commit log, the request processor
/// and the listener. `shutdown()` stops accepting and reading, lets requests already read be
/// answered (their transactions made durable first), stops the processor and closes the log.
/// Sessions survive a restart, as in ZooKeeper: their clients have a session timeout to come
/// back.
///
/// **The ensemble seam.** Everything that makes a transaction durable goes through the
/// `TxnCommitter` the processor is given: the local `LocalCommitLog` for a standalone node; for
/// a configuration with `server.N` lines (not standalone by ZooKeeper's rule) the node is an
/// ensemble member and it is a `QuorumCommitter` (`ZooKeeperNode+Ensemble.swift`).
///
/// **One event loop.** The request processor, the client connections and (in an ensemble)
/// the quorum peer and its connections all run on queues that target one serial queue per
/// node, as ZooKeeper's request pipeline is one thread: a request moves from its socket through
/// the processor and the peer protocol to its reply without waking a thread at each hop (a
/// wake-up and context switch costs more than the work of a hop on a small machine). Only
/// fsyncs and snapshot writes wait on queues of their own.
public final class ZooKeeperNode: Sendable {
    public let config: ZooKeeperConfig
    let logger: Logger
    let versionText: String
    private let onFatal: @Sendable (String) -> Void
    private let eventLoopTarget: DispatchQueue?
    private let running = Mutex<Running?>(nil)

    private struct Running: Sendable {
        let processor: RequestProcessor
        let committer: any TxnCommitter
        let network: TCPServer
        let purge: PurgeTimer?
        let ensemble: EnsembleParts?
    }

    /// The autopurge timer; cancelling a Dispatch source is safe from any thread.
    private final class PurgeTimer: @unchecked Sendable {
        let source: any DispatchSourceTimer
        init(_ source: any DispatchSourceTimer) { self.source = source }
    }

    public enum StartError: Error, CustomStringConvertible {
        /// The configuration names an ensemble this node cannot be a member of.
        case membership(String)
        case recovery(String)
        case network(String)
        case alreadyStarted

        public var description: String {
            switch self {
            case .membership(let why): why
            case .recovery(let why): why
            case .network(let why): "cannot listen for clients: \(why)"
            case .alreadyStarted: "the node is already started"
            }
        }
    }

    /// - Parameters:
    ///   - versionText: what srvr, stat, mntr and envi print after "Zookeeper version:".
    ///   - onFatal: called once if the transaction log cannot be written; nothing may be
    ///     acknowledged after that, so the caller should stop the process (ZooKeeper exits).
    ///   - eventLoopTarget: where the node's event loop runs: `DispatchQueue.main` in a process
    ///     whose main thread runs `MainThreadLoop` (one wake-up per message), nil for a Dispatch
    ///     worker (several nodes in one process, as in tests).
    public init(
        config: ZooKeeperConfig, logger: Logger = Logger(label: "petrel.zookeeper"), versionText: String = "3.8.0-petrel",
        eventLoopTarget: DispatchQueue? = nil, onFatal: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(StartError) {
        if !config.isStandalone {
            guard let me = config.servers[config.myId] else {
                throw .membership("myid \(config.myId) names no server.\(config.myId) line: this node is not a member of the ensemble it configures")
            }
            // Observers (non-voting members) are not implemented.
            if me.isObserver { throw .membership("server.\(me.id) is an observer: observers are not supported, only participants") }
        }
        self.config = config
        self.logger = logger
        self.versionText = versionText
        self.onFatal = onFatal
        self.eventLoopTarget = eventLoopTarget
    }

    /// The port clients reach, once started (the real one when `clientPort` is 0).
    public var boundPort: UInt16? { running.withLock { $0?.network.boundPort } }

    /// What the node is doing for its ensemble (srvr's "Mode:"), once started.
    var servingMode: ServingMode? {
        guard let processor = running.withLock({ $0?.processor }) else { return nil }
        return processor.exclusively { processor.ensemble.mode }
    }

    public func start() throws(StartError) {
        if running.withLock({ $0 != nil }) { throw .alreadyStarted }
        for key in config.ignored {
            logger.warning("ignoring configuration key \(key): not used by this server")
        }
        let loop = DispatchQueue(label: "petrel.zookeeper.loop", qos: .userInitiated, target: eventLoopTarget)
        if !config.isStandalone { return try startEnsembleMember(loop: loop) }
        let snapshotDirectory = config.dataDir + "/" + StorageFiles.versionDirectory
        let logDirectory = config.dataLogDir + "/" + StorageFiles.versionDirectory
        let started = ContinuousClock.now
        let database: ZKDatabase
        let report: Recovery.Report
        do {
            (database, report) = try Recovery.load(
                snapshotDirectory: snapshotDirectory, logDirectory: logDirectory, extendedTypes: config.extendedTypesEnabled)
        } catch {
            throw .recovery("\(error)")
        }
        for skipped in report.skippedSnapshots { logger.warning("skipped an unreadable snapshot: \(skipped)") }
        for truncated in report.truncated { logger.warning("truncated a torn transaction log tail: \(truncated)") }
        logger.info(
            "recovered zxid 0x\(String(UInt64(bitPattern: database.lastZxid), radix: 16)) from \(report.snapshot ?? "no snapshot") and \(report.replayed) logged transactions, \(database.sessions.count) sessions, in \(ContinuousClock.now - started)"
        )

        let logger = self.logger
        let onFatal = self.onFatal
        let committer = LocalCommitLog(
            log: TxnLogFile(directory: logDirectory, preAllocSizeKB: config.preAllocSizeKB), snapshotDirectory: snapshotDirectory,
            forceSync: config.forceSync, report: { logger.info("\($0)") },
            onFatal: { message in
                logger.critical("\(message); stopping: nothing more can be acknowledged")
                onFatal(message)
            })
        if !config.forceSync { logger.warning("forceSync=no: acknowledged writes can be lost if the machine fails") }
        // A snapshot of what was replayed, so the next start does not replay it again.
        if report.replayed > 0 || report.snapshot == nil { committer.checkpoint(database) }

        let processor = RequestProcessor(
            config: config, database: database, committer: committer, logger: logger, stats: ServerStats(), targetQueue: loop)
        processor.versionText = versionText
        let network = try serveClients(processor, loop: loop, as: "standalone") { committer.close {} }
        let purge = schedulePurge(snapshotDirectory: snapshotDirectory, logDirectory: logDirectory)
        running.withLock { $0 = Running(processor: processor, committer: committer, network: network, purge: purge, ensemble: nil) }
    }

    /// An ensemble member: the quorum's file store recovers the log; the processor starts
    /// looking and serves once a leader is established.
    private func startEnsembleMember(loop: DispatchQueue) throws(StartError) {
        let config = self.config
        let logger = self.logger
        let versionText = self.versionText
        let (parts, processor) = try startEnsemble(loop: loop) { committer, database in
            let processor = RequestProcessor(
                config: config, database: database, committer: committer, logger: logger, stats: ServerStats(), targetQueue: loop)
            processor.versionText = versionText
            return processor
        }
        let network = try serveClients(processor, loop: loop, as: "ensemble member") {
            parts.committer.close {}
            Task { await parts.close() }
        }
        running.withLock { $0 = Running(processor: processor, committer: parts.committer, network: network, purge: nil, ensemble: parts) }
    }

    /// Starts the processor and the client port; if the port cannot be opened, stops the
    /// processor and runs `undo` (which releases what the mode started) before throwing.
    private func serveClients(
        _ processor: RequestProcessor, loop: DispatchQueue, as mode: String, undo: () -> Void
    ) throws(StartError) -> TCPServer {
        let network: TCPServer
        do {
            network = try TCPServer(configuration: networkConfiguration(processor, loop: loop), handler: ZooKeeperFrameHandler(processor: processor))
            processor.start()
            try network.start()
        } catch {
            processor.stop {}
            undo()
            throw .network("\(error)")
        }
        for bound in network.boundListeners {
            logger.info("serving clients on \(bound.host):\(bound.port) (\(mode), server id \(config.myId))")
        }
        return network
    }

    private func networkConfiguration(_ processor: RequestProcessor, loop: DispatchQueue) -> ServerConfiguration {
        var network = ServerConfiguration(
            listeners: [ListenerAddress(name: "CLIENT", host: config.effectiveClientAddress, port: UInt16(clamping: config.effectiveClientPort ?? 2181))])
        network.targetQueue = loop
        // ZooKeeper refuses a frame longer than jute.maxbuffer by closing the connection.
        network.maxRequestSize = config.juteMaxBuffer
        network.maxConnectionsPerIp = config.maxClientCnxns == 0 ? .max : config.maxClientCnxns
        network.maxInFlightPerConnection = max(1, min(config.globalOutstandingLimit, 256))
        // A connection with a session pings at a third of its timeout; one without is closed
        // by the network layer after this long of silence.
        network.connectionsMaxIdle = .milliseconds(max(config.maxSessionTimeout * 2, 60_000))
        let config = self.config
        network.firstWordResponder = { [processor] code, connection in
            guard let word = FourLetterWord(code: code) else { return nil }
            // ZooKeeper adds srvr to every whitelist (its liveness probe).
            guard word == .srvr || config.allows(fourLetterWord: word.rawValue) else {
                return Array(word.notWhitelistedAnswer.utf8)
            }
            return Array(processor.fourLetterAnswer(word, asker: connection).utf8)
        }
        let logger = self.logger
        network.log = { logger.info("\($0)") }
        return network
    }

    /// `autopurge.purgeInterval` hours apart: old snapshots and logs beyond
    /// `autopurge.snapRetainCount` go.
    private func schedulePurge(snapshotDirectory: String, logDirectory: String) -> PurgeTimer? {
        guard config.autopurgePurgeInterval > 0 else { return nil }
        let retain = config.autopurgeSnapRetainCount
        let logger = self.logger
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "petrel.zookeeper.purge", qos: .utility))
        let interval = DispatchTimeInterval.seconds(config.autopurgePurgeInterval * 3600)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler {
            let removed = Purge.run(snapshotDirectory: snapshotDirectory, logDirectory: logDirectory, retain: retain)
            if !removed.isEmpty { logger.info("autopurge removed \(removed.count) old files") }
        }
        timer.activate()
        return PurgeTimer(timer)
    }

    /// Stops accepting and reading; requests already read are answered once durable; then
    /// the processor stops and the log is synced and closed. Calling it again does nothing.
    public func shutdown() async {
        guard let state = running.withLock({ $0 }) else { return }
        logger.info("shutting down")
        state.purge?.source.cancel()
        await state.network.shutdown(timeout: .seconds(10))
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            state.processor.stop { done.resume() }
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            state.committer.close { done.resume() }
        }
        await state.ensemble?.close()
        running.withLock { $0 = nil }
        logger.info("shut down cleanly")
    }
}
