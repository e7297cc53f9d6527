import Dispatch
import Synchronization
import Wire

/// Owns the log directories (`log.dirs`) and every partition log in them.
///
/// Layout of each log directory:
///
///     meta.properties                       version=0 / broker.id / cluster.id
///     recovery-point-offset-checkpoint      topic partition offset (fsynced up to here)
///     replication-offset-checkpoint         topic partition high-watermark
///     log-start-offset-checkpoint           topic partition log-start-offset
///     cleaner-offset-checkpoint             topic partition first-dirty-offset
///     .kafka_cleanshutdown                  present only between a clean shutdown and startup
///     <topic>-<partition>/                  one `Log` each
///     <topic>-<partition>.<uuid>-delete/    a deleted partition waiting for removal
///
/// Lifecycle: `init` opens every partition log found (reading no segment data after a clean
/// shutdown), then removes the clean-shutdown markers; `startup` starts the background work
/// (retention, cleaner, flush, checkpoints, delayed file deletion) on Dispatch timers;
/// `shutdown` stops it, closes every log, writes the checkpoints and the markers.
public final class LogManager: Sendable {
    public struct Options: Sendable {
        public var logDirs: [String]
        public var defaultConfig: LogConfig
        public var brokerId: Int32
        public var clusterId: String?
        /// `log.retention.check.interval.ms`.
        public var retentionCheckIntervalMs: Int64 = 300_000
        /// `log.cleaner.backoff.ms`: how often the cleaner looks for work.
        public var cleanerBackoffMs: Int64 = 15_000
        public var cleanerEnabled = true
        /// `log.flush.scheduler.interval.ms` (Kafka's default is never; `flush.ms` needs it).
        public var flushCheckIntervalMs: Int64 = 1_000
        /// `log.flush.offset.checkpoint.interval.ms`.
        public var checkpointIntervalMs: Int64 = 60_000

        public init(logDirs: [String], defaultConfig: LogConfig = LogConfig(), brokerId: Int32 = 0, clusterId: String? = nil) {
            self.logDirs = logDirs
            self.defaultConfig = defaultConfig
            self.brokerId = brokerId
            self.clusterId = clusterId
        }
    }

    public static let cleanShutdownFile = ".kafka_cleanshutdown"

    public let options: Options
    let environment: LogEnvironment

    private struct Entry {
        var log: Log
        var dirIndex: Int
    }
    private struct State {
        var logs: [TopicPartition: Entry] = [:]
        var topicOverrides: [String: [String: String]] = [:]
        var timers: [any DispatchSourceTimer] = []
        var pendingDirDeletes: [(path: String, dueMs: Int64)] = []
        var shutDown = false
    }
    private let state = Mutex(State())
    /// Serialises log creation, so two callers never open one directory twice (held across
    /// the directory's creation: creating partitions is control-plane work).
    private let creation = Mutex<Void>(())
    /// Retention, flushes, checkpoints and file deletion: short tasks, one at a time.
    private let queue = DispatchQueue(label: "petrel.logmanager")
    /// The cleaner, on its own queue so a long compaction never delays retention or flushes.
    private let cleanerQueue = DispatchQueue(label: "petrel.logcleaner")
    /// What opening each log found; damage is also sent to the environment's log sink.
    public let recoveryReports: [LogRecoveryReport]

    public init(options: Options, environment: LogEnvironment = LogEnvironment()) throws(LogError) {
        self.options = options
        self.environment = environment
        var reports: [LogRecoveryReport] = []
        var logs: [TopicPartition: Entry] = [:]
        do throws(SystemError) {
            for (dirIndex, dir) in options.logDirs.enumerated() {
                try Posix.mkdirs(dir)
                try Self.checkMetaProperties(dir: dir, options: options)
                let marker = dir + "/" + Self.cleanShutdownFile
                let clean = Posix.exists(marker)
                let recovery = Self.readCheckpoint(dir, OffsetCheckpointFile.recoveryPoint, environment)
                let starts = Self.readCheckpoint(dir, OffsetCheckpointFile.logStartOffset, environment)
                let highWatermarks = Self.readCheckpoint(dir, OffsetCheckpointFile.replication, environment)
                let cleaner = Self.readCheckpoint(dir, OffsetCheckpointFile.cleaner, environment)
                for name in try Posix.listDirectory(dir).sorted() {
                    let path = dir + "/" + name
                    guard Posix.statPath(path)?.isDirectory == true else { continue }
                    if name.hasSuffix("-delete") {
                        environment.log("removing deleted partition directory \(path)")
                        try Posix.removeDirectory(path)
                        continue
                    }
                    guard let tp = TopicPartition(directoryName: name) else { continue }
                    if logs[tp] != nil {
                        environment.log("\(tp) found in more than one log directory; ignoring \(path)")
                        continue
                    }
                    let config = options.defaultConfig
                    let (log, report) = try Self.openLog(
                        path: path, tp: tp, config: config,
                        checkpoints: LogCheckpoints(recoveryPoint: recovery?[tp], logStartOffset: starts?[tp], highWatermark: highWatermarks?[tp]),
                        clean: clean && recovery != nil, environment: environment)
                    log.setCleanerCheckpoint(cleaner?[tp])
                    logs[tp] = Entry(log: log, dirIndex: dirIndex)
                    reports.append(report)
                }
                try Posix.unlink(marker)
            }
        } catch {
            throw .storage(error)
        }
        self.recoveryReports = reports
        state.withLock { $0.logs = logs }
    }

    private static func openLog(
        path: String, tp: TopicPartition, config: LogConfig, checkpoints: LogCheckpoints, clean: Bool, environment: LogEnvironment
    ) throws(SystemError) -> (Log, LogRecoveryReport) {
        do {
            return try Log.open(directory: path, topicPartition: tp, config: config, checkpoints: checkpoints, cleanShutdown: clean, environment: environment)
        } catch {
            throw SystemError(operation: "open log (\(error))", path: path, errno: 5)
        }
    }

    /// A checkpoint's entries; nil (and a message) when it is missing or malformed, which
    /// makes the logs of this directory recover as after an unclean shutdown.
    private static func readCheckpoint(_ dir: String, _ name: String, _ environment: LogEnvironment) -> [TopicPartition: Int64]? {
        let path = dir + "/" + name
        guard Posix.exists(path) else { return nil }
        do {
            return try OffsetCheckpointFile(path: path).read()
        } catch {
            environment.log("\(error); ignoring it")
            return nil
        }
    }

    private static func checkMetaProperties(dir: String, options: Options) throws(SystemError) {
        let path = dir + "/" + MetaProperties.fileName
        let wanted = MetaProperties(brokerId: options.brokerId, clusterId: options.clusterId)
        if Posix.exists(path), let bytes = try? Posix.readSmallFile(path, limit: 65536),
            let existing = try? MetaProperties.parse(bytes, path: path)
        {
            guard existing.brokerId == wanted.brokerId else {
                throw SystemError(operation: "meta.properties names broker \(existing.brokerId), not \(wanted.brokerId):", path: path, errno: 22)
            }
            if existing.clusterId == wanted.clusterId || wanted.clusterId == nil { return }
            if existing.clusterId != nil {
                throw SystemError(operation: "meta.properties names another cluster \(existing.clusterId ?? ""):", path: path, errno: 22)
            }
        }
        try Posix.writeFileAtomically(path, wanted.encode())
    }

    // MARK: Logs

    public func log(for tp: TopicPartition) -> Log? { state.withLock { $0.logs[tp]?.log } }

    public var allLogs: [TopicPartition: Log] { state.withLock { $0.logs.mapValues(\.log) } }

    /// The log of `tp`, created (in the log directory holding the fewest partitions) if absent.
    public func getOrCreateLog(_ tp: TopicPartition, topicId: Uuid? = nil) throws(LogError) -> Log {
        if let existing = log(for: tp) { return existing }
        return try creation.withLock { (_) throws(LogError) -> Log in try createLog(tp, topicId: topicId) }
    }

    private func createLog(_ tp: TopicPartition, topicId: Uuid?) throws(LogError) -> Log {
        if let existing = log(for: tp) { return existing }
        guard TopicPartition.isValidTopicName(tp.topic), tp.partition >= 0 else {
            throw LogError.invalidConfig("invalid topic partition \(tp)")
        }
        let config = self.config(forTopic: tp.topic)
        let dirIndex = state.withLock { s -> Int in
            var counts = Array(repeating: 0, count: options.logDirs.count)
            for entry in s.logs.values { counts[entry.dirIndex] += 1 }
            return counts.indices.min { counts[$0] < counts[$1] } ?? 0
        }
        let path = options.logDirs[dirIndex] + "/" + tp.directoryName
        // A new log: nothing to recover, so recovery point 0 (a directory left with data would
        // then be scanned from the start, the safe side).
        let (log, _) = try Log.open(
            directory: path, topicPartition: tp, config: config, checkpoints: LogCheckpoints(recoveryPoint: 0),
            cleanShutdown: true, topicId: topicId, environment: environment)
        return state.withLock { s -> Log in
            if let raced = s.logs[tp] { return raced.log }
            s.logs[tp] = Entry(log: log, dirIndex: dirIndex)
            return log
        }
    }

    /// Closes the log of `tp`, renames its directory to `<topic>-<partition>.<uuid>-delete`
    /// and removes that after `file.delete.delay.ms`.
    public func deleteLog(_ tp: TopicPartition) throws(LogError) {
        guard let entry = state.withLock({ $0.logs.removeValue(forKey: tp) }) else {
            throw LogError.unknownTopicOrPartition(tp)
        }
        try? entry.log.close()
        let id = Uuid.random().bytes.map { byte in
            let hex = Array("0123456789abcdef".utf8)
            return String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
        }.joined()
        let target = options.logDirs[entry.dirIndex] + "/" + tp.directoryName + "." + id + "-delete"
        do throws(SystemError) {
            try Posix.rename(entry.log.directory, target)
            try Posix.fsyncDirectory(options.logDirs[entry.dirIndex])
        } catch {
            throw .storage(error)
        }
        let due = environment.clock() + entry.log.config.fileDeleteDelayMs
        state.withLock { $0.pendingDirDeletes.append((target, due)) }
        environment.log("deleted log \(tp); its files go with \(target)")
        if entry.log.config.fileDeleteDelayMs <= 0 { deleteExpiredFiles() }
    }

    // MARK: Topic configs

    /// The effective config of a topic: the broker defaults with its overrides.
    public func config(forTopic topic: String) -> LogConfig {
        let overrides = state.withLock { $0.topicOverrides[topic] } ?? [:]
        return (try? LogConfig(overriding: options.defaultConfig, with: overrides)) ?? options.defaultConfig
    }

    /// Replaces a topic's overrides (`kafka-configs --entity-type topics`) and applies them to
    /// its logs. Invalid values are INVALID_CONFIG and change nothing.
    public func setTopicConfig(_ topic: String, overrides: [String: String]) throws(LogError) {
        let config = try LogConfig(overriding: options.defaultConfig, with: overrides)
        let logs = state.withLock { s -> [Log] in
            s.topicOverrides[topic] = overrides
            return s.logs.filter { $0.key.topic == topic }.map(\.value.log)
        }
        for log in logs { log.updateConfig(config) }
    }

    // MARK: Background work (each also callable directly)

    /// Retention on every log; returns segments deleted.
    @discardableResult
    public func runRetention(now: Int64? = nil) -> Int {
        var deleted = 0
        for (tp, log) in allLogs {
            do {
                deleted += try log.deleteOldSegments(now: now)
            } catch {
                environment.log("[\(tp)] retention failed: \(error)")
            }
        }
        return deleted
    }

    /// One compaction pass over every compacted log; writes cleaner-offset-checkpoint.
    @discardableResult
    public func runCleaner(now: Int64? = nil) -> [TopicPartition: CleanerStats] {
        var results: [TopicPartition: CleanerStats] = [:]
        for (tp, log) in allLogs where log.config.cleanupPolicy.compacts {
            do {
                if let stats = try log.compact(now: now) { results[tp] = stats }
            } catch {
                environment.log("[\(tp)] compaction failed: \(error)")
            }
        }
        if !results.isEmpty { checkpointCleaner() }
        return results
    }

    public func runFlush(now: Int64? = nil) {
        let now = now ?? environment.clock()
        for (tp, log) in allLogs {
            do { try log.flushIfDue(now: now) } catch { environment.log("[\(tp)] flush failed: \(error)") }
        }
    }

    /// Removes `*.deleted` segment files and `-delete` directories whose delay has passed.
    public func deleteExpiredFiles(now: Int64? = nil) {
        let now = now ?? environment.clock()
        for log in allLogs.values { log.deleteExpiredFiles(now: now) }
        let due = state.withLock { s -> [String] in
            let due = s.pendingDirDeletes.filter { $0.dueMs <= now }.map(\.path)
            s.pendingDirDeletes.removeAll { $0.dueMs <= now }
            return due
        }
        for path in due {
            do { try Posix.removeDirectory(path) } catch { environment.log("could not remove \(path): \(error)") }
        }
    }

    // MARK: Checkpoints

    /// Writes the recovery-point, replication (high watermark) and log-start-offset
    /// checkpoints of every log directory.
    public func checkpointAll() {
        writeCheckpoint(OffsetCheckpointFile.recoveryPoint) { $0.recoveryPoint }
        writeCheckpoint(OffsetCheckpointFile.replication) { $0.highWatermark }
        writeCheckpoint(OffsetCheckpointFile.logStartOffset) { $0.logStartOffset }
    }

    public func checkpointCleaner() {
        writeCheckpoint(OffsetCheckpointFile.cleaner) { $0.cleanerCheckpoint }
    }

    private func writeCheckpoint(_ name: String, _ value: (Log) -> Int64?) {
        let logs = state.withLock { $0.logs }
        for (index, dir) in options.logDirs.enumerated() {
            var offsets: [TopicPartition: Int64] = [:]
            for (tp, entry) in logs where entry.dirIndex == index {
                if let offset = value(entry.log) { offsets[tp] = offset }
            }
            do {
                try OffsetCheckpointFile(path: dir + "/" + name).write(offsets)
            } catch {
                environment.log("could not write \(dir)/\(name): \(error)")
            }
        }
    }

    // MARK: Lifecycle

    /// Starts the background work on Dispatch timers.
    public func startup() {
        let o = options
        let mainQueue = self.queue
        let cleanerQueue = self.cleanerQueue
        state.withLock { s in
            func every(_ ms: Int64, on target: DispatchQueue? = nil, _ work: @escaping @Sendable () -> Void) {
                guard ms > 0, ms < Int64(Int32.max) else { return }
                let timer = DispatchSource.makeTimerSource(queue: target ?? mainQueue)
                timer.schedule(deadline: .now() + .milliseconds(Int(ms)), repeating: .milliseconds(Int(ms)))
                timer.setEventHandler(handler: work)
                timer.resume()
                s.timers.append(timer)
            }
            every(o.retentionCheckIntervalMs) { [weak self] in self?.runRetention() }
            if o.cleanerEnabled { every(o.cleanerBackoffMs, on: cleanerQueue) { [weak self] in self?.runCleaner() } }
            every(o.flushCheckIntervalMs) { [weak self] in self?.runFlush() }
            every(o.checkpointIntervalMs) { [weak self] in self?.checkpointAll() }
            every(min(o.retentionCheckIntervalMs, 30_000)) { [weak self] in self?.deleteExpiredFiles() }
        }
    }

    /// Stops the timers, closes every log (flush, trimmed indexes), writes the checkpoints and
    /// the clean-shutdown markers.
    public func shutdown() throws(LogError) {
        state.withLock { s in
            for timer in s.timers { timer.cancel() }
            s.timers = []
            s.shutDown = true
        }
        queue.sync {}
        cleanerQueue.sync {}
        var failure: LogError?
        for (tp, log) in allLogs {
            do { try log.close() } catch {
                environment.log("[\(tp)] close failed: \(error)")
                failure = error
            }
        }
        checkpointAll()
        checkpointCleaner()
        if let failure { throw failure }
        for dir in options.logDirs {
            do throws(SystemError) {
                try Posix.writeFileAtomically(dir + "/" + Self.cleanShutdownFile, [])
            } catch {
                throw .storage(error)
            }
        }
    }
}
