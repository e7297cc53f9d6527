/// The fixed 61-byte header of a magic-2 record batch, read with bounds checks.
///
/// Layout (big-endian), with each field's byte offset:
///
///     0  baseOffset int64          offset of the first record; the broker assigns it
///     8  batchLength int32         bytes after this field: the batch is batchLength + 12 bytes
///    12  partitionLeaderEpoch int32
///    16  magic int8                2
///    17  crc uint32                CRC-32C of bytes 21..<end
///    21  attributes int16          bits 0-2 codec, 3 timestamp type, 4 transactional,
///                                  5 control, 6 delete horizon
///    23  lastOffsetDelta int32
///    27  baseTimestamp int64
///    35  maxTimestamp int64
///    43  producerId int64
///    51  producerEpoch int16
///    53  baseSequence int32
///    57  recordsCount int32
///    61  records (one compressed stream when the batch is compressed)
///
/// The broker reads headers and moves batches as opaque bytes: nothing here looks at records.
/// baseOffset, batchLength and partitionLeaderEpoch are outside the CRC, so assigning offsets
/// and epochs on append is a patch of bytes without a checksum pass.
public struct RecordBatchHeader: Sendable, Hashable {
    public static let size = 61
    /// baseOffset + batchLength: the part every log entry of any magic starts with.
    public static let logOverhead = 12
    /// The smallest legal batchLength: the header after batchLength, no records.
    public static let minimumBatchLength: Int32 = 49
    public static let magic: Int8 = 2

    public static let baseOffsetOffset = 0
    public static let batchLengthOffset = 8
    public static let partitionLeaderEpochOffset = 12
    public static let magicOffset = 16
    public static let crcOffset = 17
    /// The CRC covers every byte from here to the end of the batch.
    public static let attributesOffset = 21
    public static let lastOffsetDeltaOffset = 23
    public static let baseTimestampOffset = 27
    public static let maxTimestampOffset = 35
    public static let producerIdOffset = 43
    public static let producerEpochOffset = 51
    public static let baseSequenceOffset = 53
    public static let recordsCountOffset = 57

    static let compressionMask: Int16 = 0x07
    static let timestampTypeFlag: Int16 = 0x08
    static let transactionalFlag: Int16 = 0x10
    static let controlFlag: Int16 = 0x20
    static let deleteHorizonFlag: Int16 = 0x40

    public var baseOffset: Int64
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Int16
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordsCount: Int32

    public init(
        baseOffset: Int64 = 0, batchLength: Int32 = minimumBatchLength, partitionLeaderEpoch: Int32 = -1,
        magic: Int8 = RecordBatchHeader.magic, crc: UInt32 = 0, attributes: Int16 = 0,
        lastOffsetDelta: Int32 = 0, baseTimestamp: Int64 = noTimestamp, maxTimestamp: Int64 = noTimestamp,
        producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1, recordsCount: Int32 = 0
    ) {
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordsCount = recordsCount
    }

    /// Reads the header at the start of `bytes`. Checks only that 61 bytes are there and that
    /// the magic is 2; `validate` checks the rest.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(RecordsError) {
        guard bytes.count >= Self.size else {
            throw RecordsError.truncatedHeader(needed: Self.size, available: bytes.count)
        }
        let magic = Int8(bitPattern: bytes[Self.magicOffset])
        guard magic == Self.magic else { throw RecordsError.unsupportedMagic(magic) }
        self.init(
            baseOffset: bytes.loadBigEndian(at: Self.baseOffsetOffset, as: Int64.self),
            batchLength: bytes.loadBigEndian(at: Self.batchLengthOffset, as: Int32.self),
            partitionLeaderEpoch: bytes.loadBigEndian(at: Self.partitionLeaderEpochOffset, as: Int32.self),
            magic: magic,
            crc: bytes.loadBigEndian(at: Self.crcOffset, as: UInt32.self),
            attributes: bytes.loadBigEndian(at: Self.attributesOffset, as: Int16.self),
            lastOffsetDelta: bytes.loadBigEndian(at: Self.lastOffsetDeltaOffset, as: Int32.self),
            baseTimestamp: bytes.loadBigEndian(at: Self.baseTimestampOffset, as: Int64.self),
            maxTimestamp: bytes.loadBigEndian(at: Self.maxTimestampOffset, as: Int64.self),
            producerId: bytes.loadBigEndian(at: Self.producerIdOffset, as: Int64.self),
            producerEpoch: bytes.loadBigEndian(at: Self.producerEpochOffset, as: Int16.self),
            baseSequence: bytes.loadBigEndian(at: Self.baseSequenceOffset, as: Int32.self),
            recordsCount: bytes.loadBigEndian(at: Self.recordsCountOffset, as: Int32.self))
    }

    public init<C: Collection<UInt8>>(parsing bytes: C) throws(RecordsError) {
        self = try withContiguousBytes(of: bytes) { (raw) throws(RecordsError) -> RecordBatchHeader in
            try RecordBatchHeader(parsing: raw)
        }
    }

    /// Writes the 61 header bytes (the `crc` field as it is) to the start of `target`.
    public func write(to target: UnsafeMutableRawBufferPointer) throws(RecordsError) {
        guard target.count >= Self.size else {
            throw RecordsError.truncatedHeader(needed: Self.size, available: target.count)
        }
        target.storeBigEndian(baseOffset, at: Self.baseOffsetOffset)
        target.storeBigEndian(batchLength, at: Self.batchLengthOffset)
        target.storeBigEndian(partitionLeaderEpoch, at: Self.partitionLeaderEpochOffset)
        target.storeBigEndian(magic, at: Self.magicOffset)
        target.storeBigEndian(crc, at: Self.crcOffset)
        target.storeBigEndian(attributes, at: Self.attributesOffset)
        target.storeBigEndian(lastOffsetDelta, at: Self.lastOffsetDeltaOffset)
        target.storeBigEndian(baseTimestamp, at: Self.baseTimestampOffset)
        target.storeBigEndian(maxTimestamp, at: Self.maxTimestampOffset)
        target.storeBigEndian(producerId, at: Self.producerIdOffset)
        target.storeBigEndian(producerEpoch, at: Self.producerEpochOffset)
        target.storeBigEndian(baseSequence, at: Self.baseSequenceOffset)
        target.storeBigEndian(recordsCount, at: Self.recordsCountOffset)
    }

    // MARK: Derived values

    /// Bytes of the whole batch: batchLength + 12 (may be nonsense before `validate`).
    public var totalSize: Int { Int(batchLength) + Self.logOverhead }

    /// The codec named by the attributes; nil for the unassigned values 5–7.
    public var compression: CompressionCodec? { CompressionCodec(attributes: attributes) }

    public var timestampType: TimestampType {
        attributes & Self.timestampTypeFlag != 0 ? .logAppendTime : .createTime
    }

    public var isTransactional: Bool { attributes & Self.transactionalFlag != 0 }
    public var isControl: Bool { attributes & Self.controlFlag != 0 }
    /// Set by log compaction: baseTimestamp then holds the delete horizon of tombstones.
    public var hasDeleteHorizon: Bool { attributes & Self.deleteHorizonFlag != 0 }

    /// The offset of the last record (wrapping, so nonsense input cannot trap).
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    public var nextOffset: Int64 { lastOffset &+ 1 }

    /// Sequence number of the last record; -1 without idempotence. Sequences wrap at Int32.max.
    public var lastSequence: Int32 {
        guard baseSequence >= 0 else { return -1 }
        let last = Int64(baseSequence) + Int64(lastOffsetDelta)
        return last > Int64(Int32.max) ? Int32(truncatingIfNeeded: last - Int64(Int32.max) - 1) : Int32(truncatingIfNeeded: last)
    }

    /// The attribute bits for the given flags.
    public static func attributes(
        compression: CompressionCodec, timestampType: TimestampType = .createTime,
        isTransactional: Bool = false, isControl: Bool = false, hasDeleteHorizon: Bool = false
    ) -> Int16 {
        var value = compression.rawValue
        if timestampType == .logAppendTime { value |= timestampTypeFlag }
        if isTransactional { value |= transactionalFlag }
        if isControl { value |= controlFlag }
        if hasDeleteHorizon { value |= deleteHorizonFlag }
        return value
    }
}
