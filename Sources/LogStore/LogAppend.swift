import KafkaRecords

/// How to append a record set.
public struct AppendOptions: Sendable {
    /// The leader epoch to stamp into each batch (leader path) and record in the epoch cache.
    public var leaderEpoch: Int32
    /// true (leader): give the batches the next offsets. false (follower): keep the offsets
    /// they carry, which must start at or above the log end offset and increase.
    public var assignOffsets: Bool
    /// Stamp batches with the broker's clock (LogAppendTime). nil: per the topic's
    /// `message.timestamp.type`. Ignored when offsets are not assigned (a follower keeps the
    /// leader's bytes).
    public var logAppendTime: Bool?
    /// Check each batch's CRC-32C. The broker validated it already and may turn this off; the
    /// framing, sizes and counts are checked either way.
    public var verifyChecksums: Bool

    public init(leaderEpoch: Int32 = -1, assignOffsets: Bool = true, logAppendTime: Bool? = nil, verifyChecksums: Bool = true) {
        self.leaderEpoch = leaderEpoch
        self.assignOffsets = assignOffsets
        self.logAppendTime = logAppendTime
        self.verifyChecksums = verifyChecksums
    }

    public static let leader = AppendOptions()
    public static func follower(verifyChecksums: Bool = true) -> AppendOptions {
        AppendOptions(assignOffsets: false, verifyChecksums: verifyChecksums)
    }
}

/// What an append did: the Produce response and the replica manager read these.
public struct LogAppendInfo: Sendable, Equatable {
    public var firstOffset: Int64
    public var lastOffset: Int64
    /// Largest batch maxTimestamp appended (-1 if none) and the last offset of its batch.
    public var maxTimestamp: Int64
    public var offsetOfMaxTimestamp: Int64
    /// The broker time stamped into the batches, or -1 (CreateTime).
    public var logAppendTime: Int64
    public var logStartOffset: Int64
    public var batchCount: Int
    public var recordCount: Int
    public var bytes: Int
}

extension Log {
    /// Appends a record set (magic-2 batches back to back) held in an array, patching the
    /// array's batches in place (offsets, epoch, LogAppendTime).
    @discardableResult
    public func append(_ records: inout [UInt8], options: AppendOptions = .leader) throws(LogError) -> LogAppendInfo {
        try withMutableBytes(of: &records) { (raw) throws(LogError) -> LogAppendInfo in
            try append(raw, options: options)
        }
    }

    /// Appends a copy of `records`.
    @discardableResult
    public func append(_ records: [UInt8], options: AppendOptions = .leader) throws(LogError) -> LogAppendInfo {
        var copy = records
        return try append(&copy, options: options)
    }

    /// Appends the batches in `records`, patching them in place.
    ///
    /// Every batch is checked before anything is written: a batch over `max.message.bytes` is
    /// MESSAGE_TOO_LARGE, a corrupt one (framing, magic, sizes, CRC) CORRUPT_MESSAGE, a record
    /// set larger than a segment RECORD_LIST_TOO_LARGE. Then offsets are assigned (or checked),
    /// the segment rolls if the roll predicate says so, and the bytes go to the active segment
    /// with one `pwrite`. A failed write leaves nothing behind (KAFKA_STORAGE_ERROR).
    @discardableResult
    public func append(_ records: UnsafeMutableRawBufferPointer, options: AppendOptions = .leader) throws(LogError) -> LogAppendInfo {
        let config = self.config
        var batches = try Self.analyze(UnsafeRawBufferPointer(records), options: options, config: config)
        guard !batches.isEmpty else { throw LogError.invalidRecord("empty record set") }
        return try writer.withLock { (_) throws(LogError) -> LogAppendInfo in
            let now = environment.clock()
            let (closed, logEndOffset, logStartOffset, active) = state.withLock { s in
                (s.closed, s.logEndOffset, s.logStartOffset, s.segments.last)
            }
            guard !closed, var segment = active else { throw LogError.storageError("log \(topicPartition) is closed") }
            let useAppendTime = options.assignOffsets && (options.logAppendTime ?? (config.messageTimestampType == .logAppendTime))
            if options.assignOffsets {
                var next = logEndOffset
                for index in batches.indices {
                    let batch = batches[index]
                    let slice = UnsafeMutableRawBufferPointer(rebasing: records[batch.position..<(batch.position + batch.size)])
                    do throws(RecordsError) {
                        try RecordBatchHeader.setBaseOffset(next, in: slice)
                        try RecordBatchHeader.setPartitionLeaderEpoch(options.leaderEpoch, in: slice)
                        if useAppendTime { try RecordBatchHeader.setMaxTimestamp(now, timestampType: .logAppendTime, in: slice) }
                    } catch {
                        throw LogError.corruptMessage("\(error)")
                    }
                    let delta = batch.lastOffset &- batch.baseOffset  // the header's lastOffsetDelta
                    batches[index].baseOffset = next
                    batches[index].lastOffset = next + delta
                    batches[index].partitionLeaderEpoch = options.leaderEpoch
                    if useAppendTime { batches[index].maxTimestamp = now }
                    next += delta + 1
                }
            } else {
                var expected = logEndOffset
                for batch in batches {
                    guard batch.baseOffset >= expected else {
                        throw LogError.invalidRecord("batch offset \(batch.baseOffset) is below the expected \(expected) (follower append)")
                    }
                    expected = batch.nextOffset
                }
            }
            let first = batches[0].baseOffset
            let last = batches[batches.count - 1].lastOffset
            var maxTimestamp = noTimestamp
            var offsetOfMax = first
            for batch in batches where batch.maxTimestamp > maxTimestamp {
                maxTimestamp = batch.maxTimestamp
                offsetOfMax = batch.lastOffset
            }

            if let reason = Self.shouldRoll(
                segment: segment, config: config, incomingBytes: records.count, firstOffset: first, lastOffset: last, now: now)
            {
                log("rolling segment \(segment.baseOffset) at offset \(first): \(reason)")
                segment = try roll(at: first)
            }
            let size: Int64
            do throws(SystemError) {
                size = try segment.append(UnsafeRawBufferPointer(records), batches: batches, now: now)
            } catch {
                log("append of offsets \(first)...\(last) failed: \(error)")
                throw LogError.storage(error)
            }
            let recordCount = batches.reduce(0) { $0 + Int($1.recordsCount) }
            let flushDue = state.withLock { s -> Bool in
                s.logEndOffset = last + 1
                s.logEndPosition = size
                s.unflushedRecords += Int64(recordCount)
                return s.unflushedRecords >= s.config.flushMessages
            }
            var latestEpoch = epochCache.latest?.epoch ?? -1
            for batch in batches where batch.partitionLeaderEpoch > latestEpoch {
                latestEpoch = batch.partitionLeaderEpoch
                do throws(SystemError) {
                    try epochCache.assign(epoch: batch.partitionLeaderEpoch, startOffset: batch.baseOffset)
                } catch {
                    throw .storage(error)
                }
            }
            if flushDue { try flushLocked() }
            return LogAppendInfo(
                firstOffset: first, lastOffset: last, maxTimestamp: maxTimestamp, offsetOfMaxTimestamp: offsetOfMax,
                logAppendTime: useAppendTime ? now : -1, logStartOffset: logStartOffset,
                batchCount: batches.count, recordCount: recordCount, bytes: records.count)
        }
    }

    /// Frames and checks every batch of a record set without changing it.
    static func analyze(_ raw: UnsafeRawBufferPointer, options: AppendOptions, config: LogConfig) throws(LogError) -> [BatchInfo] {
        guard raw.count <= config.segmentBytes else {
            throw LogError.recordListTooLarge(size: raw.count, limit: config.segmentBytes)
        }
        var batches: [BatchInfo] = []
        var position = 0
        let validation = RecordBatchValidation(
            requireZeroBaseOffset: false, requireDenseOffsets: options.assignOffsets, verifyCRC: options.verifyChecksums)
        while position < raw.count {
            let remaining = raw.count - position
            guard remaining >= RecordBatchHeader.size else {
                throw LogError.corruptMessage("\(remaining) trailing bytes at position \(position) are not a batch")
            }
            let magic = Int8(bitPattern: raw[position + RecordBatchHeader.magicOffset])
            guard magic == RecordBatchHeader.magic else {
                throw LogError.corruptMessage("batch at position \(position) has magic \(magic); the log stores magic 2 only")
            }
            let length = raw.loadBE(Int32.self, at: position + RecordBatchHeader.batchLengthOffset)
            guard length >= RecordBatchHeader.minimumBatchLength, Int(length) <= remaining - RecordBatchHeader.logOverhead else {
                throw LogError.corruptMessage("batch at position \(position) has length \(length) with \(remaining) bytes left")
            }
            let total = Int(length) + RecordBatchHeader.logOverhead
            // Followers take what the leader accepted, whatever max.message.bytes says now
            // (Kafka's ignoreRecordSize for replica appends).
            guard total <= config.maxMessageBytes || !options.assignOffsets else {
                throw LogError.messageTooLarge(size: total, limit: config.maxMessageBytes)
            }
            let header: RecordBatchHeader
            do throws(RecordsError) {
                header = try RecordBatchHeader.validate(UnsafeRawBufferPointer(rebasing: raw[position..<(position + total)]), validation)
            } catch {
                if error.category == .invalidRecord { throw LogError.invalidRecord("batch at position \(position): \(error)") }
                throw LogError.corruptMessage("batch at position \(position): \(error)")
            }
            guard header.lastOffsetDelta >= 0 else {
                throw LogError.invalidRecord("batch at position \(position) has lastOffsetDelta \(header.lastOffsetDelta)")
            }
            // A follower's offsets must be non-negative and must not wrap past Int64.max.
            if !options.assignOffsets, header.baseOffset < 0 || header.lastOffset < header.baseOffset || header.lastOffset == .max {
                throw LogError.invalidRecord("batch at position \(position) has offsets \(header.baseOffset)...\(header.lastOffset)")
            }
            batches.append(BatchInfo(position: position, header: header))
            position += total
        }
        return batches
    }

    /// Every reason to roll, in one place. nil: append to the active segment.
    static func shouldRoll(segment: LogSegment, config: LogConfig, incomingBytes: Int, firstOffset: Int64, lastOffset: Int64, now: Int64) -> String? {
        let size = segment.size
        if size > 0 && size + Int64(incomingBytes) > Int64(config.segmentBytes) {
            return "segment.bytes \(config.segmentBytes) reached (\(size) + \(incomingBytes))"
        }
        if size > 0 && now - segment.rollingBasedTimestamp() > config.segmentMs {
            return "segment.ms \(config.segmentMs) elapsed"
        }
        if segment.indexesFull { return "index full (segment.index.bytes \(config.segmentIndexBytes))" }
        if size > 0 && (firstOffset < segment.baseOffset || lastOffset - segment.baseOffset > Int64(Int32.max)) {
            return "offsets \(firstOffset)...\(lastOffset) do not fit relative to \(segment.baseOffset)"
        }
        return nil
    }

    /// Starts a new active segment at `offset` (the log end offset unless a follower's batch
    /// starts above it). The old one is finished (final time-index entry, trimmed indexes) and
    /// fsynced. Caller holds `writer`.
    @discardableResult
    func roll(at offset: Int64? = nil) throws(LogError) -> LogSegment {
        let (active, logEndOffset, config) = state.withLock { ($0.segments.last, $0.logEndOffset, $0.config) }
        let base = max(offset ?? logEndOffset, logEndOffset)
        if let active, active.isEmpty {
            if active.baseOffset == base { return active }
            // An empty active segment at another offset is replaced rather than kept.
            do throws(SystemError) {
                for path in try active.markDeleted() { try Posix.unlink(path) }
            } catch {
                throw LogError.storage(error)
            }
            state.withLock { s in _ = s.segments.removeLast() }
            return try createActiveSegment(base: base, config: config)
        }
        do throws(SystemError) {
            if let active {
                try active.becomeInactive()
                try active.flush()
            }
        } catch {
            throw .storage(error)
        }
        state.withLock { s in s.recoveryPoint = max(s.recoveryPoint, logEndOffset) }
        return try createActiveSegment(base: base, config: config)
    }

    func createActiveSegment(base: Int64, config: LogConfig) throws(LogError) -> LogSegment {
        do throws(SystemError) {
            let segment = try LogSegment.create(directory: directory, baseOffset: base, config: config, environment: environment)
            try segment.becomeActive()
            try Posix.fsyncDirectory(directory)
            state.withLock { s in
                s.segments.append(segment)
                s.logEndPosition = 0
                if s.logEndOffset < base { s.logEndOffset = base }
            }
            return segment
        } catch {
            throw .storage(error)
        }
    }

    /// Rolls the active segment now (tests, and the broker's forced rolls).
    public func forceRoll() throws(LogError) {
        try withWriter { () throws(LogError) in _ = try roll() }
    }
}
