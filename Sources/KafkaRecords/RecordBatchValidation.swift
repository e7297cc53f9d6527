/// What `RecordBatchHeader.validate` insists on beyond an intact batch.
///
/// A batch from a producer must look freshly built: baseOffset 0, at least one record, and
/// `lastOffsetDelta == recordsCount - 1` (Kafka's LogValidator rejects anything else with
/// INVALID_RECORD). A batch already in a log may legitimately be sparser: compaction removes
/// records but keeps `lastOffsetDelta`, and may leave batches with no records at all.
public struct RecordBatchValidation: Sendable, Equatable {
    /// Require baseOffset 0 (clients always send 0; the broker assigns offsets).
    public var requireZeroBaseOffset: Bool
    /// Require recordsCount > 0 and lastOffsetDelta == recordsCount - 1. Otherwise only
    /// recordsCount >= 0 and lastOffsetDelta >= recordsCount - 1 are required.
    public var requireDenseOffsets: Bool
    /// Check the CRC-32C (turn off only where the CRC was just checked or just written).
    public var verifyCRC: Bool

    public init(requireZeroBaseOffset: Bool, requireDenseOffsets: Bool, verifyCRC: Bool = true) {
        self.requireZeroBaseOffset = requireZeroBaseOffset
        self.requireDenseOffsets = requireDenseOffsets
        self.verifyCRC = verifyCRC
    }

    /// A batch arriving in a Produce request.
    public static let produce = RecordBatchValidation(requireZeroBaseOffset: true, requireDenseOffsets: true)
    /// A batch read from a log segment, a fetch response or a replica.
    public static let stored = RecordBatchValidation(requireZeroBaseOffset: false, requireDenseOffsets: false)
}

extension RecordBatchHeader {
    /// Checks the batch at the start of `bytes` without decompressing it, and returns its
    /// header. Bytes after the batch are ignored.
    ///
    /// Checks, in order: 61 header bytes present, magic 2, 49 <= batchLength and the whole batch
    /// present, known compression codec, CRC-32C over bytes 21..<end, then the count and offset
    /// rules of `validation`. The first failure is thrown as a typed error.
    public static func validate(
        _ bytes: UnsafeRawBufferPointer, _ validation: RecordBatchValidation = .stored
    ) throws(RecordsError) -> RecordBatchHeader {
        let header = try RecordBatchHeader(parsing: bytes)
        guard header.batchLength >= minimumBatchLength,
            Int(header.batchLength) <= bytes.count - logOverhead
        else {
            throw RecordsError.invalidBatchLength(header.batchLength, available: bytes.count)
        }
        guard header.compression != nil else {
            throw RecordsError.unknownCompression(Int(header.attributes & compressionMask))
        }
        if validation.verifyCRC {
            let covered = UnsafeRawBufferPointer(rebasing: bytes[attributesOffset..<header.totalSize])
            let computed = CRC32C.checksum(covered)
            guard computed == header.crc else {
                throw RecordsError.crcMismatch(stored: header.crc, computed: computed)
            }
        }
        if validation.requireZeroBaseOffset && header.baseOffset != 0 {
            throw RecordsError.nonZeroBaseOffset(header.baseOffset)
        }
        if validation.requireDenseOffsets {
            guard header.recordsCount > 0 else { throw RecordsError.invalidRecordsCount(header.recordsCount) }
            guard Int64(header.lastOffsetDelta) == Int64(header.recordsCount) - 1 else {
                throw RecordsError.invalidLastOffsetDelta(header.lastOffsetDelta, recordsCount: header.recordsCount)
            }
        } else {
            guard header.recordsCount >= 0 else { throw RecordsError.invalidRecordsCount(header.recordsCount) }
            guard Int64(header.lastOffsetDelta) >= Int64(header.recordsCount) - 1 else {
                throw RecordsError.invalidLastOffsetDelta(header.lastOffsetDelta, recordsCount: header.recordsCount)
            }
        }
        return header
    }

    public static func validate<C: Collection<UInt8>>(
        _ bytes: C, _ validation: RecordBatchValidation = .stored
    ) throws(RecordsError) -> RecordBatchHeader {
        try withContiguousBytes(of: bytes) { (raw) throws(RecordsError) -> RecordBatchHeader in
            try validate(raw, validation)
        }
    }

    /// CRC-32C of the batch at the start of `bytes` as it should be stored (bytes 21..<end),
    /// or nil if the bytes do not hold the whole batch.
    public static func computeCRC(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        guard bytes.count >= size else { return nil }
        let length = Int(bytes.loadBigEndian(at: batchLengthOffset, as: Int32.self))
        guard length >= Int(minimumBatchLength), length <= bytes.count - logOverhead else { return nil }
        return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[attributesOffset..<(length + logOverhead)]))
    }
}
