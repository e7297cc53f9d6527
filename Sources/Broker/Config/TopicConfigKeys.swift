/// Topic-level configuration keys (Kafka's LogConfig), each with the broker keys that supply its
/// default ("synonyms" in DescribeConfigs, most specific first) and the factor that turns the
/// broker value into the topic's unit (log.retention.hours → retention.ms).
public enum TopicConfigKeys {
    public struct Synonym: Sendable {
        public let brokerKey: String
        public let multiplier: Int64
    }

    public struct Key: Sendable {
        public let definition: ConfigDefinition
        public let synonyms: [Synonym]
    }

    static func key(_ d: ConfigDefinition, _ synonyms: [(String, Int64)]) -> Key {
        Key(definition: d, synonyms: synonyms.map { Synonym(brokerKey: $0.0, multiplier: $0.1) })
    }

    static let maxLong = BrokerConfigKeys.maxLong

    public static let all: [Key] = [
        key(.init("cleanup.policy", .list, "delete", .eachOneOf(["compact", "delete"]), "delete and/or compact old segments."),
            [("log.cleanup.policy", 1)]),
        key(.init("compression.type", .string, "producer", .oneOf(["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]),
                  "Compression of stored batches."), [("compression.type", 1)]),
        key(.init("delete.retention.ms", .long, "86400000", .atLeast(0), "How long tombstones are kept."),
            [("log.cleaner.delete.retention.ms", 1)]),
        key(.init("file.delete.delay.ms", .long, "60000", .atLeast(0), "Time before deleted segment files are removed."),
            [("log.segment.delete.delay.ms", 1)]),
        key(.init("flush.messages", .long, maxLong, .atLeast(1), "Messages between flushes."), [("log.flush.interval.messages", 1)]),
        key(.init("flush.ms", .long, maxLong, .atLeast(0), "Milliseconds between flushes."), [("log.flush.interval.ms", 1)]),
        key(.init("index.interval.bytes", .int, "4096", .atLeast(0), "Bytes between offset index entries."),
            [("log.index.interval.bytes", 1)]),
        key(.init("max.compaction.lag.ms", .long, maxLong, .atLeast(1), "Most time a record may stay uncompacted."),
            [("log.cleaner.max.compaction.lag.ms", 1)]),
        key(.init("max.message.bytes", .int, "1048588", .atLeast(0), "Largest record batch accepted."), [("message.max.bytes", 1)]),
        key(.init("message.downconversion.enable", .boolean, "true", .any, "Convert batches for old consumers."),
            [("log.message.downconversion.enable", 1)]),
        key(.init("message.timestamp.type", .string, "CreateTime", .oneOf(["CreateTime", "LogAppendTime"]), "Timestamp type."),
            [("log.message.timestamp.type", 1)]),
        key(.init("message.timestamp.before.max.ms", .long, maxLong, .atLeast(0), "How far in the past a CreateTime may be."),
            [("log.message.timestamp.before.max.ms", 1)]),
        key(.init("message.timestamp.after.max.ms", .long, maxLong, .atLeast(0), "How far in the future a CreateTime may be."),
            [("log.message.timestamp.after.max.ms", 1)]),
        key(.init("min.cleanable.dirty.ratio", .double, "0.5", .between(0, 1), "Dirty ratio above which the log is cleaned."),
            [("log.cleaner.min.cleanable.ratio", 1)]),
        key(.init("min.compaction.lag.ms", .long, "0", .atLeast(0), "Least time a record stays uncompacted."),
            [("log.cleaner.min.compaction.lag.ms", 1)]),
        key(.init("min.insync.replicas", .int, "1", .atLeast(1), "Replicas that must acknowledge an acks=all write."),
            [("min.insync.replicas", 1)]),
        key(.init("preallocate", .boolean, "false", .any, "Preallocate segment files."), [("log.preallocate", 1)]),
        key(.init("retention.bytes", .long, "-1", .any, "Largest partition size before old segments go; -1 no limit."),
            [("log.retention.bytes", 1)]),
        key(.init("retention.ms", .long, "604800000", .atLeast(-1), "How long segments are kept; -1 forever."),
            [("log.retention.ms", 1), ("log.retention.minutes", 60_000), ("log.retention.hours", 3_600_000)]),
        key(.init("segment.bytes", .int, "1073741824", .atLeast(14), "Largest segment file."), [("log.segment.bytes", 1)]),
        key(.init("segment.index.bytes", .int, "10485760", .atLeast(4), "Largest offset index."), [("log.index.size.max.bytes", 1)]),
        key(.init("segment.jitter.ms", .long, "0", .atLeast(0), "Random jitter subtracted from segment.ms."),
            [("log.roll.jitter.ms", 1), ("log.roll.jitter.hours", 3_600_000)]),
        key(.init("segment.ms", .long, "604800000", .atLeast(1), "Roll a new segment after this long."),
            [("log.roll.ms", 1), ("log.roll.hours", 3_600_000)]),
        key(.init("unclean.leader.election.enable", .boolean, "false", .any, "Allow out-of-sync leaders."),
            [("unclean.leader.election.enable", 1)]),
        key(.init("leader.replication.throttled.replicas", .list, "", .any, "Throttled leader replicas."), []),
        key(.init("follower.replication.throttled.replicas", .list, "", .any, "Throttled follower replicas."), []),
    ]

    public static let byName: [String: Key] = Dictionary(uniqueKeysWithValues: all.map { ($0.definition.name, $0) })
}
