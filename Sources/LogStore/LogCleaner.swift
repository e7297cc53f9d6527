import KafkaRecords

/// What one compaction pass did.
public struct CleanerStats: Sendable, Equatable {
    public var segmentsCleaned = 0
    public var bytesRead: Int64 = 0
    public var bytesWritten: Int64 = 0
    public var recordsRemoved = 0
    public var batchesRemoved = 0
    /// The new first dirty offset (what cleaner-offset-checkpoint records).
    public var cleanedUpTo: Int64 = 0
}

/// Log compaction (`cleanup.policy=compact` and `compact,delete`): keep the latest record of
/// every key.
///
/// A pass: (1) choose the cleanable range, from the log start to the first uncleanable offset
/// (the active segment's base, or the first segment holding records younger than
/// `min.compaction.lag.ms`); clean only when the dirty part (from the cleaner checkpoint on)
/// is at least `min.cleanable.dirty.ratio` of it. (2) Map each key of the dirty part to its
/// latest offset. (3) Rewrite each segment of the range into `<base>.log.cleaned`: a record
/// stays if no later record has its key; a tombstone also goes once its batch is older than
/// `delete.retention.ms`. Batches keep their offsets (baseOffset and lastOffsetDelta); a batch
/// left without records is dropped, except the last batch of an idempotent producer, kept
/// empty so the producer's sequence state survives (Kafka's rule). (4) Swap it in.
///
/// The swap: the cleaned file is renamed `.log.swap`, the original's files `.deleted`, then
/// the swap file takes the `.log` name. A crash at any step is completed by the loader (a
/// `.log.swap` replaces its namesake). All reading and writing happens without the log's
/// writer lock; only the swap takes it, and it gives up if the segment was removed or the log
/// truncated meanwhile. The active segment is never rewritten.
extension Log {
    public var cleanerCheckpoint: Int64? { state.withLock { $0.cleanerCheckpoint } }

    func setCleanerCheckpoint(_ offset: Int64?) { state.withLock { $0.cleanerCheckpoint = offset } }

    /// Runs one compaction pass if the policy and dirty ratio call for it (`force` ignores the
    /// ratio). nil when there was nothing to do.
    @discardableResult
    public func compact(now: Int64? = nil, force: Bool = false) throws(LogError) -> CleanerStats? {
        let now = now ?? environment.clock()
        let snapshot = state.withLock { s in
            (segments: s.segments, start: s.logStartOffset, end: s.logEndOffset, endPosition: s.logEndPosition,
             config: s.config, checkpoint: s.cleanerCheckpoint, truncations: s.truncations, closed: s.closed)
        }
        guard snapshot.config.cleanupPolicy.compacts, !snapshot.closed, snapshot.segments.count > 1 else { return nil }
        let config = snapshot.config
        var uncleanable = snapshot.segments[snapshot.segments.count - 1].baseOffset
        if config.minCompactionLagMs > 0 {
            for segment in snapshot.segments.dropLast() where now - segment.largestTimestamp() < config.minCompactionLagMs {
                uncleanable = min(uncleanable, segment.baseOffset)
                break
            }
        }
        let firstDirty = max(snapshot.checkpoint ?? snapshot.start, snapshot.start)
        let candidates = snapshot.segments.filter { $0.baseOffset < uncleanable }
        guard firstDirty < uncleanable, !candidates.isEmpty else { return nil }
        var cleanBytes: Int64 = 0
        var dirtyBytes: Int64 = 0
        for (index, segment) in candidates.enumerated() {
            let next = index + 1 < snapshot.segments.count ? snapshot.segments[index + 1].baseOffset : Int64.max
            if next <= firstDirty { cleanBytes += segment.size } else { dirtyBytes += segment.size }
        }
        let ratio = cleanBytes + dirtyBytes == 0 ? 0 : Double(dirtyBytes) / Double(cleanBytes + dirtyBytes)
        guard force || ratio >= config.minCleanableDirtyRatio else { return nil }

        var stats = CleanerStats()
        do throws(SystemError) {
            // Latest offset per key in the dirty range, and each producer's last batch in the log.
            var latest: [[UInt8]: Int64] = [:]
            var lastBatchOfProducer: [Int64: Int64] = [:]
            for (index, segment) in snapshot.segments.enumerated() {
                let isActive = index == snapshot.segments.count - 1
                for batch in try segment.batches(limit: isActive ? snapshot.endPosition : nil) {
                    if batch.producerId >= 0 { lastBatchOfProducer[batch.producerId] = batch.baseOffset }
                    guard segment.baseOffset < uncleanable, batch.lastOffset >= firstDirty, batch.baseOffset < uncleanable else { continue }
                    for record in try decodeRecords(of: batch, in: segment) {
                        if let key = record.key { latest[key] = record.offset }
                    }
                }
            }
            for segment in candidates {
                let outcome = try cleanSegment(
                    segment, latest: latest, lastBatchOfProducer: lastBatchOfProducer, config: config, now: now, stats: &stats)
                guard let cleaned = outcome else { continue }
                let swapped = try swapIn(cleaned, replacing: segment, truncations: snapshot.truncations, now: now)
                if swapped { stats.segmentsCleaned += 1 }
            }
        } catch {
            throw .storage(error)
        }
        stats.cleanedUpTo = uncleanable
        state.withLock { s in s.cleanerCheckpoint = max(s.cleanerCheckpoint ?? 0, uncleanable) }
        log("compacted up to offset \(uncleanable): \(stats.segmentsCleaned) segments rewritten, \(stats.recordsRemoved) records and \(stats.batchesRemoved) batches removed")
        return stats
    }

    /// Writes the compacted copy of `segment` to `<base>.log.cleaned`, streaming (at most about
    /// 1 MiB of output is held in memory); nil (and no file left) when compaction would remove
    /// nothing from it.
    private func cleanSegment(
        _ segment: LogSegment, latest: [[UInt8]: Int64], lastBatchOfProducer: [Int64: Int64], config: LogConfig, now: Int64,
        stats: inout CleanerStats
    ) throws(SystemError) -> LogSegment? {
        let cleaned = try LogSegment.create(
            directory: directory, baseOffset: segment.baseOffset, config: config, environment: environment,
            suffix: SegmentFileNames.cleanedSuffix)
        var changed = false
        var chunk: [UInt8] = []
        var chunkBatches: [BatchInfo] = []
        var written: Int64 = 0
        func emit(_ bytes: [UInt8], _ info: BatchInfo) throws(SystemError) {
            var placed = info
            placed.position = chunk.count
            chunk += bytes
            chunkBatches.append(placed)
            if chunk.count >= 1 << 20 { try flushChunk() }
        }
        func flushChunk() throws(SystemError) {
            guard !chunk.isEmpty else { return }
            try withBytes(of: chunk) { (raw) throws(SystemError) in _ = try cleaned.append(raw, batches: chunkBatches, now: now) }
            written += Int64(chunk.count)
            chunk.removeAll(keepingCapacity: true)
            chunkBatches.removeAll(keepingCapacity: true)
        }
        do {
            for batch in try segment.batches() {
                let bytes = try segment.log.read(count: batch.size, at: Int64(batch.position))
                stats.bytesRead += Int64(bytes.count)
                // Control batches (transaction markers) and anything that does not decode stay as they are.
                guard let decoded = try? RecordBatch.decode(bytes), !decoded.header.isControl else {
                    try emit(bytes, batch)
                    continue
                }
                let header = decoded.header
                let tombstoneExpired = header.maxTimestamp < now - config.deleteRetentionMs
                let kept = decoded.records.filter { record in
                    guard let key = record.key else { return true }
                    if let newest = latest[key], record.offset < newest { return false }
                    if record.value == nil && tombstoneExpired { return false }
                    return true
                }
                if kept.count == decoded.records.count {
                    try emit(bytes, batch)
                    continue
                }
                var result: [UInt8]?
                if kept.isEmpty {
                    if header.producerId >= 0, lastBatchOfProducer[header.producerId] == header.baseOffset {
                        result = emptyBatch(like: header)
                    }
                } else {
                    // Should the batch not rebuild, it stays whole: compaction never loses a record it keeps.
                    guard let rebuilt = rebuild(header: header, records: kept) else {
                        try emit(bytes, batch)
                        continue
                    }
                    result = rebuilt
                }
                changed = true
                stats.recordsRemoved += decoded.records.count - kept.count
                guard let result, let resultHeader = batchHeader(result) else {
                    stats.batchesRemoved += 1
                    continue
                }
                try emit(result, BatchInfo(position: 0, header: resultHeader))
            }
            try flushChunk()
            guard changed else {
                discard(cleaned)
                return nil
            }
            try cleaned.becomeInactive()
            try cleaned.flush()
        } catch {
            discard(cleaned)
            throw error
        }
        stats.bytesWritten += written
        return cleaned
    }

    private func discard(_ segment: LogSegment) {
        for file in [segment.log, segment.offsetIndex.file, segment.timeIndex.file] { try? Posix.unlink(file.currentPath) }
    }

    private func batchHeader(_ bytes: [UInt8]) -> RecordBatchHeader? { try? RecordBatchHeader(parsing: bytes) }

    /// The retained records as a batch with the original's offsets, attributes and producer.
    private func rebuild(header: RecordBatchHeader, records: [Record]) -> [UInt8]? {
        var builder = RecordBatchBuilder(
            baseOffset: header.baseOffset, partitionLeaderEpoch: header.partitionLeaderEpoch,
            codec: header.compression ?? .none, timestampType: header.timestampType,
            logAppendTime: header.timestampType == .logAppendTime ? header.maxTimestamp : nil,
            isTransactional: header.isTransactional, isControl: header.isControl,
            producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence)
        for record in records {
            do { try builder.append(record) } catch { return nil }
        }
        guard var bytes = try? builder.build() else { return nil }
        // Keep the original lastOffsetDelta, so the batch still ends where it did.
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBE(header.lastOffsetDelta, at: RecordBatchHeader.lastOffsetDeltaOffset)
            if let crc = RecordBatchHeader.computeCRC(UnsafeRawBufferPointer(raw)) {
                raw.storeBE(crc, at: RecordBatchHeader.crcOffset)
            }
        }
        return bytes
    }

    /// A batch with no records that keeps `header`'s offsets, producer and sequence.
    private func emptyBatch(like header: RecordBatchHeader) -> [UInt8] {
        var empty = header
        empty.batchLength = RecordBatchHeader.minimumBatchLength
        empty.recordsCount = 0
        var bytes = [UInt8](repeating: 0, count: RecordBatchHeader.size)
        bytes.withUnsafeMutableBytes { raw in
            try? empty.write(to: raw)
            if let crc = RecordBatchHeader.computeCRC(UnsafeRawBufferPointer(raw)) {
                raw.storeBE(crc, at: RecordBatchHeader.crcOffset)
            }
        }
        return bytes
    }

    /// Replaces `old` by `cleaned` (same base offset) under the writer lock.
    private func swapIn(_ cleaned: LogSegment, replacing old: LogSegment, truncations: Int, now: Int64) throws(SystemError) -> Bool {
        let outcome: Result<Bool, SystemError> = writer.withLock { _ in
            let (present, sameTruncations, delay) = state.withLock { s in
                (s.segments.dropLast().contains { $0 === old }, s.truncations == truncations, s.config.fileDeleteDelayMs)
            }
            guard present, sameTruncations, !state.withLock({ $0.closed }) else {
                return .success(false)
            }
            do throws(SystemError) {
                let base = old.baseOffset
                let swapPath = SegmentFileNames.logPath(directory, base) + SegmentFileNames.swapSuffix
                try cleaned.log.renamed(to: swapPath)
                try Posix.fsyncDirectory(directory)
                let deleted = try old.markDeleted()
                try cleaned.log.renamed(to: SegmentFileNames.logPath(directory, base))
                try cleaned.offsetIndex.file.renamed(to: SegmentFileNames.indexPath(directory, base))
                try cleaned.timeIndex.file.renamed(to: SegmentFileNames.timeIndexPath(directory, base))
                try Posix.fsyncDirectory(directory)
                state.withLock { s in
                    if let index = s.segments.firstIndex(where: { $0 === old }) { s.segments[index] = cleaned }
                    s.boundCache = nil
                    if delay > 0 { s.pendingDeletes.append(PendingDelete(paths: deleted, dueMs: now + delay)) }
                }
                if delay <= 0 { for path in deleted { try? Posix.unlink(path) } }
                return .success(true)
            } catch {
                return .failure(error)
            }
        }
        if case .success(false) = outcome { discard(cleaned) }
        return try outcome.get()
    }
}
