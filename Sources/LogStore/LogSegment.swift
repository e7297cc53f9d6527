#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaRecords
import Synchronization

/// One segment of a partition log: `<baseOffset>.log` with its `.index` and `.timeindex`.
///
/// The `.log` file holds magic-2 record batches back to back, byte for byte as Kafka stores
/// them: each batch with its assigned baseOffset and partitionLeaderEpoch, nothing between or
/// around them. Offsets increase from batch to batch and all lie in
/// `baseOffset ... baseOffset + Int32.max` (the indexes store them relative to the base).
///
/// Ownership: the `Log` appends to its active segment (one writer); readers read by position
/// with `pread`/`sendfile` up to a size they took from `size` before reading, so they never see
/// a batch being written. Inactive segments never change except by truncation (replication)
/// and are replaced, never edited, by the cleaner.
final class LogSegment: Sendable {
    let baseOffset: Int64
    let log: LogFile
    let offsetIndex: OffsetIndex
    let timeIndex: TimeIndex
    let indexIntervalBytes: Int

    private struct State {
        /// Bytes of complete batches in the file (what readers may see).
        var size: Int64
        var bytesSinceLastIndexEntry = 0
        /// Largest batch maxTimestamp and the last offset of its batch; nil until known (read
        /// lazily from the time index of a reopened segment).
        var maxTimestamp: Int64?
        var offsetOfMaxTimestamp: Int64 = -1
        /// Timestamp of the first batch (segment.ms counts from it); nil until known.
        var rollingBasedTimestamp: Int64?
        var createdMs: Int64
    }
    private let state: Mutex<State>
    /// Serialises index loads and rebuilds (the only index I/O a reader may trigger).
    private let indexLoad = Mutex<Void>(())

    private init(baseOffset: Int64, log: LogFile, offsetIndex: OffsetIndex, timeIndex: TimeIndex, indexIntervalBytes: Int, size: Int64, createdMs: Int64) {
        self.baseOffset = baseOffset
        self.log = log
        self.offsetIndex = offsetIndex
        self.timeIndex = timeIndex
        self.indexIntervalBytes = indexIntervalBytes
        self.state = Mutex(State(size: size, createdMs: createdMs))
    }

    /// Creates a new empty segment (truncating any leftover files of the same name).
    static func create(directory: String, baseOffset: Int64, config: LogConfig, environment: LogEnvironment, suffix: String = "") throws(SystemError) -> LogSegment {
        let logPath = SegmentFileNames.logPath(directory, baseOffset) + suffix
        let log = try LogFile.open(logPath, create: true, stats: environment.stats)
        try log.truncate(to: 0)
        let offsetFile = try LogFile.open(SegmentFileNames.indexPath(directory, baseOffset) + suffix, create: true, stats: environment.stats)
        try offsetFile.truncate(to: 0)
        let timeFile = try LogFile.open(SegmentFileNames.timeIndexPath(directory, baseOffset) + suffix, create: true, stats: environment.stats)
        try timeFile.truncate(to: 0)
        return LogSegment(
            baseOffset: baseOffset, log: log,
            offsetIndex: try OffsetIndex(file: offsetFile, baseOffset: baseOffset, maxIndexBytes: config.segmentIndexBytes, fresh: true),
            timeIndex: try TimeIndex(file: timeFile, baseOffset: baseOffset, maxIndexBytes: config.segmentIndexBytes, fresh: true),
            indexIntervalBytes: config.indexIntervalBytes, size: 0, createdMs: environment.clock())
    }

    /// What `open` found of the index files.
    struct IndexHealth {
        var offsetIndexUsable: Bool
        var timeIndexUsable: Bool
        var usable: Bool { offsetIndexUsable && timeIndexUsable }
    }

    /// Opens an existing segment without reading its data. Missing index files are created
    /// empty and reported unusable, as are index files whose size is not a whole number of
    /// entries; the loader rebuilds those.
    static func open(directory: String, baseOffset: Int64, config: LogConfig, environment: LogEnvironment) throws(SystemError) -> (LogSegment, IndexHealth) {
        let logPath = SegmentFileNames.logPath(directory, baseOffset)
        let log = try LogFile.open(logPath, create: false, stats: environment.stats)
        let size = try log.size()
        let offsetPath = SegmentFileNames.indexPath(directory, baseOffset)
        let timePath = SegmentFileNames.timeIndexPath(directory, baseOffset)
        let offsetExisted = Posix.exists(offsetPath)
        let timeExisted = Posix.exists(timePath)
        let offsetIndex = try OffsetIndex(
            file: try LogFile.open(offsetPath, create: true, stats: environment.stats), baseOffset: baseOffset,
            maxIndexBytes: config.segmentIndexBytes, fresh: false)
        let timeIndex = try TimeIndex(
            file: try LogFile.open(timePath, create: true, stats: environment.stats), baseOffset: baseOffset,
            maxIndexBytes: config.segmentIndexBytes, fresh: false)
        let offsetSizeValid = try offsetIndex.hasValidSize()
        let timeSizeValid = try timeIndex.hasValidSize()
        let health = IndexHealth(
            offsetIndexUsable: offsetExisted && offsetSizeValid, timeIndexUsable: timeExisted && timeSizeValid)
        let created = Posix.statPath(logPath)?.modifiedMs ?? environment.clock()
        let segment = LogSegment(
            baseOffset: baseOffset, log: log, offsetIndex: offsetIndex, timeIndex: timeIndex,
            indexIntervalBytes: config.indexIntervalBytes, size: size, createdMs: created)
        return (segment, health)
    }

    var size: Int64 { state.withLock { $0.size } }
    var isEmpty: Bool { size == 0 }

    // MARK: Append

    /// Writes `bytes` (whole batches described by `batches`, positions relative to `bytes`) at
    /// the end of the segment with one `pwrite`, then indexes them. On any failure the file and
    /// indexes are cut back to where they were and the error is thrown: nothing partial stays.
    @discardableResult
    func append(_ bytes: UnsafeRawBufferPointer, batches: [BatchInfo], now: Int64) throws(SystemError) -> Int64 {
        guard let first = batches.first else { return size }
        let start = state.withLock { $0.size }
        do throws(SystemError) {
            try log.write(bytes, at: start)
        } catch {
            try? log.truncate(to: start)
            throw error
        }
        var (sinceIndex, maxTimestamp, offsetOfMax) = state.withLock { s in
            (s.bytesSinceLastIndexEntry, s.maxTimestamp, s.offsetOfMaxTimestamp)
        }
        if maxTimestamp == nil {
            let last = try? timeIndex.lastEntry()
            maxTimestamp = last?.timestamp ?? noTimestamp
            offsetOfMax = last?.offset ?? -1
        }
        var running = maxTimestamp ?? noTimestamp
        do throws(SystemError) {
            for batch in batches {
                if batch.maxTimestamp > running {
                    running = batch.maxTimestamp
                    offsetOfMax = batch.lastOffset
                }
                if sinceIndex > indexIntervalBytes {
                    let position = start + Int64(batch.position)
                    try offsetIndex.append(OffsetPosition(offset: batch.lastOffset, position: Int32(truncatingIfNeeded: position)))
                    try appendTimeIndexEntry(timestamp: running, offset: offsetOfMax)
                    sinceIndex = 0
                }
                sinceIndex += batch.size
            }
        } catch {
            try? log.truncate(to: start)
            try? offsetIndex.truncate(toOffsetBelow: first.baseOffset)
            try? timeIndex.truncate(toOffsetBelow: first.baseOffset)
            throw error
        }
        let total = Int64(bytes.count)
        let firstTimestamp = first.maxTimestamp
        state.withLock { s in
            s.size = start + total
            s.bytesSinceLastIndexEntry = sinceIndex
            s.maxTimestamp = running
            s.offsetOfMaxTimestamp = offsetOfMax
            if start == 0 { s.rollingBasedTimestamp = firstTimestamp >= 0 ? firstTimestamp : now }
        }
        return start + total
    }

    private func appendTimeIndexEntry(timestamp: Int64, offset: Int64) throws(SystemError) {
        guard timestamp >= 0 else { return }
        try timeIndex.append(TimestampOffset(timestamp: timestamp, offset: offset)) { last in
            last.map { $0.timestamp < timestamp } ?? true
        }
    }

    /// Whether the indexes can take more entries (a full one rolls the segment).
    var indexesFull: Bool { offsetIndex.isFull || timeIndex.isFull }

    // MARK: Timestamps

    /// The largest batch timestamp and the last offset of that batch, or nil when the segment
    /// holds no timestamp. Reads the time index's last slot the first time.
    func maxTimestampAndOffset() -> (timestamp: Int64, offset: Int64)? {
        let known = state.withLock { s in s.maxTimestamp.map { ($0, s.offsetOfMaxTimestamp) } }
        if let known { return known.0 >= 0 ? (known.0, known.1) : nil }
        let last = try? timeIndex.lastEntry()
        state.withLock { s in
            if s.maxTimestamp == nil {
                s.maxTimestamp = last?.timestamp ?? noTimestamp
                s.offsetOfMaxTimestamp = last?.offset ?? -1
            }
        }
        return last.map { ($0.timestamp, $0.offset) }
    }

    /// What retention compares with `retention.ms`: the largest timestamp, or the file's
    /// modification time when no batch has one (Kafka's rule).
    func largestTimestamp() -> Int64 {
        if let (timestamp, _) = maxTimestampAndOffset() { return timestamp }
        return Posix.statPath(log.currentPath)?.modifiedMs ?? state.withLock { $0.createdMs }
    }

    /// When segment.ms starts counting: the first batch's timestamp, else the creation time.
    func rollingBasedTimestamp() -> Int64 {
        if let known = state.withLock({ $0.rollingBasedTimestamp }) { return known }
        var value = state.withLock { $0.createdMs }
        if size >= Int64(RecordBatchHeader.size), let header = try? readHeader(at: 0), header.maxTimestamp >= 0 {
            value = header.maxTimestamp
        }
        state.withLock { $0.rollingBasedTimestamp = value }
        return value
    }

    // MARK: Reading headers

    /// The batch header at `position`, or nil when no complete, plausible batch starts there.
    func readHeader(at position: Int64, limit: Int64? = nil) throws(SystemError) -> BatchInfo? {
        let end = limit ?? size
        guard position + Int64(RecordBatchHeader.size) <= end else { return nil }
        var raw = [UInt8](repeating: 0, count: RecordBatchHeader.size)
        let got = try withMutableBytes(of: &raw) { (buffer) throws(SystemError) -> Int in
            try log.read(into: buffer, at: position)
        }
        guard got == RecordBatchHeader.size, let header = try? RecordBatchHeader(parsing: raw),
            header.batchLength >= RecordBatchHeader.minimumBatchLength,
            position + Int64(header.totalSize) <= end
        else { return nil }
        return BatchInfo(position: Int(position), header: header)
    }

    /// The first batch whose last offset is at or above `target`, found from the offset
    /// index's nearest entry by walking headers; nil when every batch here ends below it.
    func translateOffset(_ target: Int64, limit: Int64? = nil) throws(SystemError) -> BatchInfo? {
        let end = limit ?? size
        var position: Int64 = 0
        if let start = try offsetIndexFloor(target) {
            position = Int64(start.position)
            // An index entry names the last offset of the batch at its position. If the data
            // says otherwise the index is wrong (damaged while the log was shut down cleanly):
            // rebuild it from the data rather than start a read in the middle of a batch.
            // (A position at or past `end` is a batch this reader may not see yet, not damage.)
            if position < end {
                let batch = try readHeader(at: position, limit: end)
                if let batch, batch.lastOffset == start.offset {
                    if batch.lastOffset >= target { return batch }
                    position += Int64(batch.size)
                } else {
                    try indexLoad.withLock { (_) throws(SystemError) in try rebuildIndexes() }
                    position = Int64(try offsetIndexFloor(target)?.position ?? 0)
                }
            }
        }
        while let batch = try readHeader(at: position, limit: end) {
            if batch.lastOffset >= target { return batch }
            position += Int64(batch.size)
        }
        return nil
    }

    /// Every batch header from `position` to `limit` (the whole segment by default).
    func batches(from position: Int64 = 0, limit: Int64? = nil) throws(SystemError) -> [BatchInfo] {
        var result: [BatchInfo] = []
        var at = position
        while let batch = try readHeader(at: at, limit: limit) {
            result.append(batch)
            at += Int64(batch.size)
        }
        return result
    }

    /// Makes sure both indexes are in memory, rebuilding them from the data if a file fails
    /// its sanity check.
    func ensureIndexesLoaded() throws(SystemError) {
        if case .loaded = try offsetIndex.load(), case .loaded = try timeIndex.load() { return }
        try indexLoad.withLock { (_) throws(SystemError) in
            if case .loaded = try offsetIndex.load(), case .loaded = try timeIndex.load() { return }
            try rebuildIndexes()
        }
    }

    /// The offset-index entry to start a scan for `target` from.
    func offsetIndexFloor(_ target: Int64) throws(SystemError) -> OffsetPosition? {
        try ensureIndexesLoaded()
        return offsetIndex.withEntries { OffsetIndex.floor($0, target) } ?? nil
    }

    /// The time-index entry to start a search for `target` from.
    func timeIndexLastBelow(_ target: Int64) throws(SystemError) -> TimestampOffset? {
        try ensureIndexesLoaded()
        return timeIndex.withEntries { TimeIndex.lastBelow($0, target) } ?? nil
    }

    /// Rewrites both indexes from the batch headers in the file (derived data, so always
    /// possible), the way `append` would have written them.
    func rebuildIndexes() throws(SystemError) {
        let all = try batches()
        var builder = IndexBuilder(intervalBytes: indexIntervalBytes)
        for batch in all { builder.add(batch) }
        try offsetIndex.reset(to: builder.offsetEntries)
        try timeIndex.reset(to: builder.timeEntries)
        state.withLock { s in
            s.bytesSinceLastIndexEntry = builder.bytesSinceLastEntry
            s.maxTimestamp = builder.maxTimestamp
            s.offsetOfMaxTimestamp = builder.offsetOfMaxTimestamp
        }
    }

    /// Installs indexes computed by a scan that already read every batch (recovery).
    func installIndexes(_ builder: IndexBuilder, size: Int64) throws(SystemError) {
        try offsetIndex.reset(to: builder.offsetEntries)
        try timeIndex.reset(to: builder.timeEntries)
        state.withLock { s in
            s.size = size
            s.bytesSinceLastIndexEntry = builder.bytesSinceLastEntry
            s.maxTimestamp = builder.maxTimestamp
            s.offsetOfMaxTimestamp = builder.offsetOfMaxTimestamp
        }
    }

    // MARK: Truncation

    /// Removes every batch whose last offset is at or above `offset` (a batch holding `offset`
    /// goes whole). Returns the bytes removed.
    @discardableResult
    func truncate(to offset: Int64) throws(SystemError) -> Int64 {
        guard let cut = try translateOffset(offset) else { return 0 }
        let old = size
        let position = Int64(cut.position)
        try log.truncate(to: position)
        try ensureIndexesLoaded()
        let keepOffsetEntries = offsetIndex.withEntries { $0.prefix { Int64($0.position) < position }.count } ?? 0
        try offsetIndex.truncate(toEntries: keepOffsetEntries)
        try timeIndex.truncate(toOffsetBelow: cut.baseOffset)
        // Recompute what the tail since the last index entry holds: a few headers at most.
        let tailStart = Int64(try offsetIndex.lastEntry()?.position ?? 0)
        var sinceIndex = 0
        var maxTimestamp = (try timeIndex.lastEntry())?.timestamp ?? noTimestamp
        var offsetOfMax = (try timeIndex.lastEntry())?.offset ?? -1
        state.withLock { $0.size = position }
        for batch in try batches(from: tailStart, limit: position) {
            sinceIndex += batch.size
            if batch.maxTimestamp > maxTimestamp {
                maxTimestamp = batch.maxTimestamp
                offsetOfMax = batch.lastOffset
            }
        }
        state.withLock { s in
            s.bytesSinceLastIndexEntry = max(0, sinceIndex)
            s.maxTimestamp = maxTimestamp
            s.offsetOfMaxTimestamp = offsetOfMax
            if position == 0 { s.rollingBasedTimestamp = nil }
        }
        return old - position
    }

    // MARK: Lifecycle

    /// The segment becomes the active one: grow its indexes to full size.
    func becomeActive() throws(SystemError) {
        try offsetIndex.preallocate()
        try timeIndex.preallocate()
    }

    /// The segment stops being the active one (roll, close): record its largest timestamp in
    /// the time index, trim both indexes to their entries.
    func becomeInactive() throws(SystemError) {
        if let (timestamp, offset) = maxTimestampAndOffset() {
            if let last = try timeIndex.lastEntry() {
                if timestamp > last.timestamp {
                    try timeIndex.append(TimestampOffset(timestamp: timestamp, offset: max(offset, last.offset)))
                }
            } else {
                try timeIndex.append(TimestampOffset(timestamp: timestamp, offset: max(offset, baseOffset)))
            }
        }
        try offsetIndex.trim()
        try timeIndex.trim()
    }

    func flush() throws(SystemError) {
        try log.sync()
        try offsetIndex.sync()
        try timeIndex.sync()
    }

    /// Renames the segment's files to `*.deleted`; they are removed later (file.delete.delay.ms).
    /// Open descriptors (in-flight reads) stay valid.
    func markDeleted() throws(SystemError) -> [String] {
        var paths: [String] = []
        for file in [log, offsetIndex.file, timeIndex.file] {
            let target = file.currentPath + SegmentFileNames.deletedSuffix
            if Posix.exists(file.currentPath) {
                try file.renamed(to: target)
                paths.append(target)
            }
        }
        return paths
    }
}

/// Computes index entries for a run of batches the way `LogSegment.append` writes them.
struct IndexBuilder {
    let intervalBytes: Int
    var offsetEntries: [OffsetPosition] = []
    var timeEntries: [TimestampOffset] = []
    var bytesSinceLastEntry = 0
    var maxTimestamp: Int64 = noTimestamp
    var offsetOfMaxTimestamp: Int64 = -1

    init(intervalBytes: Int) { self.intervalBytes = intervalBytes }

    mutating func add(_ batch: BatchInfo) {
        if batch.maxTimestamp > maxTimestamp {
            maxTimestamp = batch.maxTimestamp
            offsetOfMaxTimestamp = batch.lastOffset
        }
        if bytesSinceLastEntry > intervalBytes {
            offsetEntries.append(OffsetPosition(offset: batch.lastOffset, position: Int32(truncatingIfNeeded: batch.position)))
            if maxTimestamp >= 0, maxTimestamp > (timeEntries.last?.timestamp ?? noTimestamp) {
                timeEntries.append(TimestampOffset(timestamp: maxTimestamp, offset: offsetOfMaxTimestamp))
            }
            bytesSinceLastEntry = 0
        }
        bytesSinceLastEntry += batch.size
    }
}
