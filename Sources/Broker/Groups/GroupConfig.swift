/// The coordinator's settings, read once from the broker's configuration (Kafka's
/// `GroupConfig` and `OffsetConfig`), so tests can build one directly.
struct GroupConfig: Sendable {
    var minSessionTimeoutMs: Int32 = 6_000
    var maxSessionTimeoutMs: Int32 = 1_800_000
    var maxSize: Int = Int(Int32.max)
    var initialRebalanceDelayMs: Int32 = 3_000
    var offsetsTopicPartitions: Int = 50
    var offsetsTopicReplicationFactor: Int = 3
    var offsetsTopicSegmentBytes: Int = 104_857_600
    var offsetsRetentionMs: Int64 = 7 * 24 * 3_600_000
    var offsetsRetentionCheckIntervalMs: Int64 = 600_000
    var offsetMetadataMaxBytes: Int = 4096
    /// A new member's JoinGroup is parked at most this long (Kafka's `NewMemberJoinTimeoutMs`):
    /// it has no member id to heartbeat with, and a client that gave up must not stay forever.
    var newMemberJoinTimeoutMs: Int32 = 300_000

    init() {}

    init(_ config: BrokerConfig) {
        minSessionTimeoutMs = Int32(clamping: config.int("group.min.session.timeout.ms"))
        maxSessionTimeoutMs = Int32(clamping: config.int("group.max.session.timeout.ms"))
        maxSize = config.int("group.max.size")
        initialRebalanceDelayMs = Int32(clamping: config.int("group.initial.rebalance.delay.ms"))
        offsetsTopicPartitions = config.int("offsets.topic.num.partitions")
        offsetsTopicReplicationFactor = config.int("offsets.topic.replication.factor")
        offsetsTopicSegmentBytes = config.int("offsets.topic.segment.bytes")
        offsetsRetentionMs = Int64(config.int("offsets.retention.minutes")) * 60_000
        offsetsRetentionCheckIntervalMs = config.int64("offsets.retention.check.interval.ms")
        offsetMetadataMaxBytes = config.int("offset.metadata.max.bytes")
    }
}
