/// Why a log operation failed. Each case corresponds to exactly one Kafka error code, named in
/// its documentation and returned by `kafkaErrorCode`; the broker answers with that code.
public enum LogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// OFFSET_OUT_OF_RANGE (1): the offset is below the log start offset or above the log end
    /// offset (or, for DeleteRecords, above the high watermark).
    case offsetOutOfRange(requested: Int64, logStartOffset: Int64, logEndOffset: Int64)
    /// CORRUPT_MESSAGE (2): a batch fails its checks (framing, sizes, CRC, magic).
    case corruptMessage(String)
    /// UNKNOWN_TOPIC_OR_PARTITION (3): no log for this partition here.
    case unknownTopicOrPartition(TopicPartition)
    /// MESSAGE_TOO_LARGE (10): a batch is larger than `max.message.bytes`.
    case messageTooLarge(size: Int, limit: Int)
    /// RECORD_LIST_TOO_LARGE (18): the record set does not fit in a segment (`segment.bytes`).
    case recordListTooLarge(size: Int, limit: Int)
    /// INVALID_CONFIG (40): a topic config value Kafka would refuse.
    case invalidConfig(String)
    /// KAFKA_STORAGE_ERROR (56): the disk failed (full, I/O error), or the log is closed.
    case storageError(String)
    /// INVALID_RECORD (87): the batch is intact but breaks a rule (offsets not increasing on
    /// the follower path, a batch without records).
    case invalidRecord(String)

    public var kafkaErrorCode: Int16 {
        switch self {
        case .offsetOutOfRange: return 1
        case .corruptMessage: return 2
        case .unknownTopicOrPartition: return 3
        case .messageTooLarge: return 10
        case .recordListTooLarge: return 18
        case .invalidConfig: return 40
        case .storageError: return 56
        case .invalidRecord: return 87
        }
    }

    public var kafkaErrorName: String {
        switch self {
        case .offsetOutOfRange: return "OFFSET_OUT_OF_RANGE"
        case .corruptMessage: return "CORRUPT_MESSAGE"
        case .unknownTopicOrPartition: return "UNKNOWN_TOPIC_OR_PARTITION"
        case .messageTooLarge: return "MESSAGE_TOO_LARGE"
        case .recordListTooLarge: return "RECORD_LIST_TOO_LARGE"
        case .invalidConfig: return "INVALID_CONFIG"
        case .storageError: return "KAFKA_STORAGE_ERROR"
        case .invalidRecord: return "INVALID_RECORD"
        }
    }

    public var description: String {
        switch self {
        case .offsetOutOfRange(let requested, let start, let end):
            return "offset \(requested) is out of range [\(start), \(end)]"
        case .corruptMessage(let detail): return "corrupt message: \(detail)"
        case .unknownTopicOrPartition(let tp): return "no log for \(tp)"
        case .messageTooLarge(let size, let limit): return "batch of \(size) bytes exceeds max.message.bytes \(limit)"
        case .recordListTooLarge(let size, let limit): return "record set of \(size) bytes exceeds segment.bytes \(limit)"
        case .invalidConfig(let detail): return "invalid config: \(detail)"
        case .storageError(let detail): return "storage error: \(detail)"
        case .invalidRecord(let detail): return "invalid record: \(detail)"
        }
    }

    static func storage(_ error: SystemError) -> LogError { .storageError(error.description) }
}
