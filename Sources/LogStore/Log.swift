import KafkaRecords
import Synchronization
import Wire

/// The log of one partition: the segments in `<log.dir>/<topic>-<partition>/`, their offsets
/// and the leader-epoch cache.
///
/// Offsets: `logStartOffset` (first offset a consumer may read) ≤ `highWatermark` (set by the
/// caller: replicated everywhere it must be) ≤ `logEndOffset` (the next offset to assign).
/// `recoveryPoint` is the offset below which everything was fsynced; after an unclean
/// shutdown, segments from the one holding it onwards are re-scanned.
///
/// Concurrency: one appender and many readers at once. Mutations (append, roll, truncation,
/// retention, segment replacement by the cleaner, close) are serialised by `writer`, which is
/// held across their file writes; readers never take it. Shared state (the segment list and
/// the offsets) lives in `state`, touched in short critical sections with no I/O; a reader
/// takes a snapshot and then reads files by position, never past the end it snapshotted.
public final class Log: Sendable {
    public let topicPartition: TopicPartition
    public let directory: String
    let environment: LogEnvironment
    let epochCache: LeaderEpochCache

    struct PendingDelete: Sendable {
        var paths: [String]
        var dueMs: Int64
    }

    /// A translated read bound: `offset` lies at byte `position` of the segment `segmentBase`.
    struct BoundPosition: Sendable {
        var offset: Int64
        var segmentBase: Int64
        var position: Int64
    }

    struct State: Sendable {
        /// By ascending base offset; the last is the active segment. Never empty.
        var segments: [LogSegment]
        var logStartOffset: Int64
        var logEndOffset: Int64
        /// Byte size of the active segment at `logEndOffset` (what readers may read of it).
        var logEndPosition: Int64
        var highWatermark: Int64
        var recoveryPoint: Int64
        var config: LogConfig
        var unflushedRecords: Int64 = 0
        var lastFlushMs: Int64
        var pendingDeletes: [PendingDelete] = []
        var boundCache: BoundPosition?
        var closed = false
        var topicId: Uuid?
        /// The cleaner's first dirty offset (cleaner-offset-checkpoint).
        var cleanerCheckpoint: Int64?
        /// Counts truncations, so a compaction that raced one discards its work.
        var truncations = 0
    }

    let state: Mutex<State>
    /// Serialises mutations; held across their writes. Readers never take it.
    let writer = Mutex<Void>(())

    init(topicPartition: TopicPartition, directory: String, environment: LogEnvironment, epochCache: LeaderEpochCache, state: State) {
        self.topicPartition = topicPartition
        self.directory = directory
        self.environment = environment
        self.epochCache = epochCache
        self.state = Mutex(state)
    }

    // MARK: Offsets and properties

    public var logStartOffset: Int64 { state.withLock { $0.logStartOffset } }
    public var logEndOffset: Int64 { state.withLock { $0.logEndOffset } }
    public var highWatermark: Int64 { state.withLock { $0.highWatermark } }
    public var recoveryPoint: Int64 { state.withLock { $0.recoveryPoint } }
    public var config: LogConfig { state.withLock { $0.config } }
    public var topicId: Uuid? { state.withLock { $0.topicId } }
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Base offsets of the segments, oldest first.
    public var segmentBaseOffsets: [Int64] { state.withLock { $0.segments.map(\.baseOffset) } }
    public var segmentCount: Int { state.withLock { $0.segments.count } }
    /// Base offset of the segment appends go to (the log start offset of an empty log).
    public var activeSegmentBaseOffset: Int64 { state.withLock { $0.segments.last?.baseOffset ?? $0.logStartOffset } }
    /// Bytes of all segments.
    public var size: Int64 { segments.reduce(0) { $0 + $1.size } }

    var segments: [LogSegment] { state.withLock { $0.segments } }
    var activeSegment: LogSegment? { state.withLock { $0.segments.last } }

    /// Sets the high watermark (clamped to [logStartOffset, logEndOffset]); returns the value set.
    @discardableResult
    public func updateHighWatermark(_ offset: Int64) -> Int64 {
        state.withLock { s in
            let value = min(max(offset, s.logStartOffset), s.logEndOffset)
            if value != s.highWatermark { s.boundCache = nil }
            s.highWatermark = value
            return value
        }
    }

    /// Applies a changed topic config. Sizes of existing indexes stay as created.
    public func updateConfig(_ config: LogConfig) {
        state.withLock { $0.config = config }
    }

    public func setTopicId(_ id: Uuid) throws(LogError) {
        do throws(SystemError) { try PartitionMetadataFile.write(directory: directory, topicId: id) } catch { throw .storage(error) }
        state.withLock { $0.topicId = id }
    }

    // MARK: Leader epochs

    /// OffsetForLeaderEpoch: the largest epoch at or below `epoch` and the end offset of it
    /// (the start of the next epoch, or the log end offset); (-1, -1) if unknown.
    public func endOffset(forLeaderEpoch epoch: Int32) -> (leaderEpoch: Int32, endOffset: Int64) {
        let result = epochCache.endOffset(for: epoch, logEndOffset: logEndOffset)
        return (result.epoch, result.endOffset)
    }

    public var latestLeaderEpoch: Int32? { epochCache.latest?.epoch }
    public var leaderEpochEntries: [EpochEntry] { epochCache.all }

    /// Records the start of a new leader epoch at the log end offset (a new leader does this
    /// before its first append).
    public func assignLeaderEpoch(_ epoch: Int32, startOffset: Int64? = nil) throws(LogError) {
        do throws(SystemError) { try epochCache.assign(epoch: epoch, startOffset: startOffset ?? logEndOffset) } catch { throw .storage(error) }
    }

    // MARK: Locking helpers

    func withWriter<R: Sendable>(_ body: () throws(LogError) -> R) throws(LogError) -> R {
        try writer.withLock { (_) throws(LogError) -> R in
            if state.withLock({ $0.closed }) { throw LogError.storageError("log \(topicPartition) is closed") }
            return try body()
        }
    }

    func log(_ message: String) { environment.log("[\(topicPartition)] \(message)") }
}
