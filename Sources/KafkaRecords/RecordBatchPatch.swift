/// In-place edits the broker makes to a batch it appends, on the batch's own bytes.
///
/// baseOffset and partitionLeaderEpoch lie before the CRC-covered range, so assigning them is a
/// plain store. maxTimestamp and the timestamp-type bit are covered, so setting LogAppendTime
/// also rewrites the CRC. Validate a batch before patching it: recomputing the CRC of a corrupt
/// batch would hide the corruption.
///
/// Every function checks that `batch` holds at least the header (and, where the CRC is
/// recomputed, the whole batch as its batchLength says) and throws otherwise.
extension RecordBatchHeader {
    public static func setBaseOffset(_ offset: Int64, in batch: UnsafeMutableRawBufferPointer) throws(RecordsError) {
        try requireHeader(batch)
        batch.storeBigEndian(offset, at: baseOffsetOffset)
    }

    public static func setPartitionLeaderEpoch(_ epoch: Int32, in batch: UnsafeMutableRawBufferPointer) throws(RecordsError) {
        try requireHeader(batch)
        batch.storeBigEndian(epoch, at: partitionLeaderEpochOffset)
    }

    /// Sets maxTimestamp and the timestamp type (LogAppendTime for topics that use the broker's
    /// clock), then recomputes the CRC.
    public static func setMaxTimestamp(
        _ timestamp: Int64, timestampType: TimestampType, in batch: UnsafeMutableRawBufferPointer
    ) throws(RecordsError) {
        let total = try requireWholeBatch(batch)
        var attributes = UnsafeRawBufferPointer(batch).loadBigEndian(at: attributesOffset, as: Int16.self)
        if timestampType == .logAppendTime { attributes |= timestampTypeFlag } else { attributes &= ~timestampTypeFlag }
        batch.storeBigEndian(attributes, at: attributesOffset)
        batch.storeBigEndian(timestamp, at: maxTimestampOffset)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: batch[attributesOffset..<total]))
        batch.storeBigEndian(crc, at: crcOffset)
    }

    // MARK: The same on an array holding the batch at `start`

    public static func setBaseOffset(_ offset: Int64, in bytes: inout [UInt8], at start: Int = 0) throws(RecordsError) {
        try withBatch(in: &bytes, at: start) { (batch) throws(RecordsError) in try setBaseOffset(offset, in: batch) }
    }

    public static func setPartitionLeaderEpoch(_ epoch: Int32, in bytes: inout [UInt8], at start: Int = 0) throws(RecordsError) {
        try withBatch(in: &bytes, at: start) { (batch) throws(RecordsError) in try setPartitionLeaderEpoch(epoch, in: batch) }
    }

    public static func setMaxTimestamp(
        _ timestamp: Int64, timestampType: TimestampType, in bytes: inout [UInt8], at start: Int = 0
    ) throws(RecordsError) {
        try withBatch(in: &bytes, at: start) { (batch) throws(RecordsError) in
            try setMaxTimestamp(timestamp, timestampType: timestampType, in: batch)
        }
    }

    private static func withBatch(
        in bytes: inout [UInt8], at start: Int, _ body: (UnsafeMutableRawBufferPointer) throws(RecordsError) -> Void
    ) throws(RecordsError) {
        guard start >= 0, start <= bytes.count else {
            throw RecordsError.truncatedHeader(needed: size, available: 0)
        }
        try withMutableBytes(of: &bytes) { (all) throws(RecordsError) in
            try body(UnsafeMutableRawBufferPointer(rebasing: all[start...]))
        }
    }

    private static func requireHeader(_ batch: UnsafeMutableRawBufferPointer) throws(RecordsError) {
        guard batch.count >= size else { throw RecordsError.truncatedHeader(needed: size, available: batch.count) }
        let magic = Int8(bitPattern: batch[magicOffset])
        guard magic == Self.magic else { throw RecordsError.unsupportedMagic(magic) }
    }

    /// The batch's total size, checked against the bytes there are.
    private static func requireWholeBatch(_ batch: UnsafeMutableRawBufferPointer) throws(RecordsError) -> Int {
        try requireHeader(batch)
        let length = UnsafeRawBufferPointer(batch).loadBigEndian(at: batchLengthOffset, as: Int32.self)
        guard length >= minimumBatchLength, Int(length) <= batch.count - logOverhead else {
            throw RecordsError.invalidBatchLength(length, available: batch.count)
        }
        return Int(length) + logOverhead
    }
}
