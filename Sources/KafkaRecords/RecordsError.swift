import Wire

/// Why record bytes could not be read, checked, compressed or built.
///
/// Every decoder in this module throws one of these instead of trapping, whatever the input.
/// Each case carries what was wrong so a log line names the problem; `category` says which Kafka
/// error the broker should answer with (the codes themselves live in `KafkaProtocol`).
public enum RecordsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field could not be read (too few bytes, a bad varint, a negative length).
    case wire(WireError)
    /// Fewer bytes than a batch or message header needs.
    case truncatedHeader(needed: Int, available: Int)
    /// The magic byte is not one this reader handles here.
    case unsupportedMagic(Int8)
    /// `batchLength` (or a legacy `messageSize`) is impossible or runs past the bytes available.
    case invalidBatchLength(Int32, available: Int)
    /// The stored checksum differs from the one computed over the bytes.
    case crcMismatch(stored: UInt32, computed: UInt32)
    /// `recordsCount` is negative (or zero where a producer must send records).
    case invalidRecordsCount(Int32)
    /// `lastOffsetDelta` does not fit `recordsCount`.
    case invalidLastOffsetDelta(Int32, recordsCount: Int32)
    /// A produced batch must arrive with baseOffset 0.
    case nonZeroBaseOffset(Int64)
    /// Compression bits that name no codec.
    case unknownCompression(Int)
    /// The compressed payload is not valid for its codec.
    case decompressionFailed(codec: CompressionCodec, detail: String)
    /// The payload would inflate past the caller's cap (a decompression bomb, or a cap too low).
    case decompressedTooLarge(codec: CompressionCodec, limit: Int)
    /// The codec library refused to compress.
    case compressionFailed(codec: CompressionCodec, detail: String)
    /// A record inside a batch is malformed.
    case invalidRecord(index: Int, detail: String)
    /// The number of records decoded differs from `recordsCount`, or bytes remain after them.
    case recordCountMismatch(declared: Int32, detail: String)
    /// A value the builder cannot encode (an offset delta past Int32, records out of order).
    case unencodable(String)
    /// A legacy (magic 0/1) message is malformed.
    case invalidLegacyMessage(offset: Int64, detail: String)

    /// The Kafka error a broker reports for this problem.
    public enum Category: Sendable, Equatable {
        /// CORRUPT_MESSAGE (2): checksum, sizes or framing are wrong.
        case corruptMessage
        /// INVALID_RECORD (87): the bytes are intact but break a rule (offsets, counts).
        case invalidRecord
        /// UNSUPPORTED_COMPRESSION_TYPE (76).
        case unsupportedCompression
        /// Not a problem of the data: a local limit or a library failure.
        case local
    }

    public var category: Category {
        switch self {
        case .wire, .truncatedHeader, .unsupportedMagic, .invalidBatchLength, .crcMismatch,
            .decompressionFailed, .invalidRecord, .recordCountMismatch, .invalidLegacyMessage:
            return .corruptMessage
        case .invalidRecordsCount, .invalidLastOffsetDelta, .nonZeroBaseOffset:
            return .invalidRecord
        case .unknownCompression:
            return .unsupportedCompression
        case .decompressedTooLarge, .compressionFailed, .unencodable:
            return .local
        }
    }

    public var description: String {
        switch self {
        case .wire(let error): return "malformed record data: \(error)"
        case .truncatedHeader(let needed, let available):
            return "truncated header: needed \(needed) bytes, \(available) available"
        case .unsupportedMagic(let magic): return "unsupported magic byte \(magic)"
        case .invalidBatchLength(let length, let available):
            return "invalid batch length \(length) with \(available) bytes available"
        case .crcMismatch(let stored, let computed):
            return "CRC mismatch: stored \(stored), computed \(computed)"
        case .invalidRecordsCount(let count): return "invalid records count \(count)"
        case .invalidLastOffsetDelta(let delta, let count):
            return "lastOffsetDelta \(delta) does not fit records count \(count)"
        case .nonZeroBaseOffset(let offset):
            return "produced batch has baseOffset \(offset), expected 0"
        case .unknownCompression(let id): return "unknown compression type \(id)"
        case .decompressionFailed(let codec, let detail):
            return "\(codec.name) decompression failed: \(detail)"
        case .decompressedTooLarge(let codec, let limit):
            return "\(codec.name) payload decompresses to more than \(limit) bytes"
        case .compressionFailed(let codec, let detail):
            return "\(codec.name) compression failed: \(detail)"
        case .invalidRecord(let index, let detail): return "record \(index) is invalid: \(detail)"
        case .recordCountMismatch(let declared, let detail):
            return "batch declares \(declared) records: \(detail)"
        case .unencodable(let detail): return "cannot encode: \(detail)"
        case .invalidLegacyMessage(let offset, let detail):
            return "legacy message at offset \(offset) is invalid: \(detail)"
        }
    }
}
