import KafkaRecords

/// What scanning a segment after an unclean shutdown found.
struct SegmentRecovery: Sendable {
    /// Bytes of valid batches from the start of the file.
    var validBytes: Int64
    /// Bytes cut from the end of the file (torn, corrupt or zero-filled tail).
    var truncatedBytes: Int64
    /// Why the scan stopped before the end of the file, if it did.
    var problem: String?
    /// The offset after the last valid batch (nil: the segment holds none).
    var nextOffset: Int64?
    var batchCount: Int
    /// (epoch, first offset) each time partitionLeaderEpoch changes, for the epoch cache.
    var epochStarts: [(epoch: Int32, startOffset: Int64)]
}

extension LogSegment {
    /// Re-reads every batch of the segment, checks it (framing, size, CRC-32C, offsets
    /// increasing and within this segment's range), rebuilds both indexes from what is valid
    /// and truncates the file at the first invalid byte.
    ///
    /// `minimumOffset` is the offset the first batch may not start below (the previous
    /// segment's end). Reads in chunks of up to 1 MiB; a batch is never read whole unless the
    /// file holds that many bytes, so a garbage length cannot make it allocate.
    func recover(minimumOffset: Int64) throws(SystemError) -> SegmentRecovery {
        let fileSize = try log.size()
        var builder = IndexBuilder(intervalBytes: indexIntervalBytes)
        var position: Int64 = 0
        var expected = max(minimumOffset, baseOffset)
        var problem: String?
        var count = 0
        var nextOffset: Int64?
        var epochStarts: [(epoch: Int32, startOffset: Int64)] = []
        var chunk: [UInt8] = []
        var chunkStart: Int64 = 0
        let chunkSize = 1 << 20

        scan: while position < fileSize {
            let remaining = fileSize - position
            guard remaining >= Int64(RecordBatchHeader.logOverhead) else {
                problem = "\(remaining) trailing bytes at position \(position) (torn write)"
                break
            }
            // Make sure the chunk holds the 12-byte prefix, then the whole batch.
            func ensure(_ count: Int64) throws(SystemError) -> Bool {
                if position >= chunkStart && position + count <= chunkStart + Int64(chunk.count) { return true }
                let want = Int(min(fileSize - position, max(Int64(chunkSize), count)))
                chunk = try log.read(count: want, at: position)
                chunkStart = position
                return Int64(chunk.count) >= count
            }
            guard try ensure(Int64(RecordBatchHeader.logOverhead)) else {
                problem = "short read at position \(position)"
                break
            }
            let local = Int(position - chunkStart)
            let length = chunk.withUnsafeBytes { $0.loadBE(Int32.self, at: local + RecordBatchHeader.batchLengthOffset) }
            guard length >= RecordBatchHeader.minimumBatchLength else {
                problem = length == 0 && chunk[local..<(local + 12)].allSatisfy({ $0 == 0 })
                    ? "zero-filled tail from position \(position)"
                    : "invalid batch length \(length) at position \(position)"
                break
            }
            let total = Int64(length) + Int64(RecordBatchHeader.logOverhead)
            guard total <= remaining else {
                problem = "batch at position \(position) needs \(total) bytes, \(remaining) remain (torn write)"
                break
            }
            guard try ensure(total) else {
                problem = "short read at position \(position)"
                break
            }
            let begin = Int(position - chunkStart)
            let header: RecordBatchHeader
            do throws(RecordsError) {
                header = try withBytes(of: chunk) { (raw) throws(RecordsError) -> RecordBatchHeader in
                    try RecordBatchHeader.validate(UnsafeRawBufferPointer(rebasing: raw[begin..<(begin + Int(total))]), .stored)
                }
            } catch {
                problem = "batch at position \(position): \(error)"
                break scan
            }
            // Checked without arithmetic that could overflow on garbage offsets.
            let relative = header.baseOffset.subtractingReportingOverflow(baseOffset)
            guard header.lastOffsetDelta >= 0, header.baseOffset >= expected, !relative.overflow,
                relative.partialValue <= Int64(Int32.max) - Int64(header.lastOffsetDelta)
            else {
                problem = "batch at position \(position) has offsets \(header.baseOffset)...\(header.lastOffset), expected at least \(expected) within the segment"
                break
            }
            let batch = BatchInfo(position: Int(position), header: header)
            builder.add(batch)
            if header.partitionLeaderEpoch >= 0, header.partitionLeaderEpoch > (epochStarts.last?.epoch ?? -1) {
                epochStarts.append((header.partitionLeaderEpoch, header.baseOffset))
            }
            expected = batch.nextOffset
            nextOffset = batch.nextOffset
            count += 1
            position += total
        }
        if position < fileSize { try log.truncate(to: position) }
        try installIndexes(builder, size: position)
        return SegmentRecovery(
            validBytes: position, truncatedBytes: fileSize - position, problem: problem,
            nextOffset: nextOffset, batchCount: count, epochStarts: epochStarts)
    }
}
