/// Where a record's timestamp came from: attribute bit 3 of a magic-2 batch (and of a magic-1
/// message).
public enum TimestampType: Int8, Sendable, CustomStringConvertible {
    /// Set by the producer.
    case createTime = 0
    /// Set by the broker when it appended the batch (topic `message.timestamp.type=LogAppendTime`);
    /// every record of the batch then has the batch's `maxTimestamp`.
    case logAppendTime = 1

    /// Kafka's spelling, as kafka-dump-log prints it.
    public var description: String {
        switch self {
        case .createTime: return "CreateTime"
        case .logAppendTime: return "LogAppendTime"
        }
    }
}

/// Kafka's "no timestamp" value (magic 0 messages, empty batches).
public let noTimestamp: Int64 = -1
