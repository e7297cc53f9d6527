import KafkaRecords

/// A topic's log settings, under Kafka's own topic config names and with Kafka's defaults.
///
/// Built from the broker's defaults plus a topic's overrides (`init(overriding:with:)`, the
/// strings an operator passes to `kafka-configs --alter --add-config`). Durations are
/// milliseconds, sizes bytes; `Int64.max` is Kafka's "never" for `flush.*`, -1 its "unlimited"
/// for `retention.*`.
public struct LogConfig: Sendable, Equatable {
    public enum CleanupPolicy: Sendable, Equatable {
        case delete
        case compact
        /// `compact,delete`: compact, and also delete whole segments by retention.
        case compactAndDelete

        public var compacts: Bool { self != .delete }
        public var deletes: Bool { self != .compact }

        public var name: String {
            switch self {
            case .delete: return "delete"
            case .compact: return "compact"
            case .compactAndDelete: return "compact,delete"
            }
        }
    }

    /// `segment.bytes`: roll the active segment when the next append would pass this size.
    public var segmentBytes: Int = 1 << 30
    /// `segment.ms`: roll a non-empty segment this long after its first record.
    public var segmentMs: Int64 = 7 * 24 * 3_600_000
    /// `segment.index.bytes`: preallocated size of each index; a full index rolls the segment.
    public var segmentIndexBytes: Int = 10 << 20
    /// `index.interval.bytes`: bytes of batches between two offset-index entries.
    public var indexIntervalBytes: Int = 4096
    /// `retention.ms`: delete segments whose newest record is older (-1: keep forever).
    public var retentionMs: Int64 = 7 * 24 * 3_600_000
    /// `retention.bytes`: delete the oldest segments while the log is larger (-1: no limit).
    public var retentionBytes: Int64 = -1
    /// `cleanup.policy`.
    public var cleanupPolicy: CleanupPolicy = .delete
    /// `delete.retention.ms`: how long the cleaner keeps tombstones.
    public var deleteRetentionMs: Int64 = 86_400_000
    /// `min.compaction.lag.ms`: records younger than this stay uncompacted.
    public var minCompactionLagMs: Int64 = 0
    /// `min.cleanable.dirty.ratio`: clean once this share of the log is dirty.
    public var minCleanableDirtyRatio: Double = 0.5
    /// `max.message.bytes`: the largest batch accepted (Kafka's default: 1 MiB + 12).
    public var maxMessageBytes: Int = 1_048_588
    /// `message.timestamp.type`: CreateTime, or LogAppendTime (the broker stamps batches).
    public var messageTimestampType: TimestampType = .createTime
    /// `flush.messages`: fsync after this many appended records.
    public var flushMessages: Int64 = .max
    /// `flush.ms`: fsync when the last flush is this old (checked by the manager's scheduler).
    public var flushMs: Int64 = .max
    /// `file.delete.delay.ms`: how long a deleted segment lingers as `*.deleted`.
    public var fileDeleteDelayMs: Int64 = 60_000
    /// `compression.type`: kept for the broker (`producer` keeps the producer's codec).
    public var compressionType: String = "producer"
    /// `preallocate`: create segment files at full size (stored; segments grow by append here).
    public var preallocate: Bool = false

    public init() {}

    /// Every key this type understands, with Kafka's default, in Kafka's spelling.
    public static let defaults: [String: String] = LogConfig().properties

    /// The config as Kafka's key/value strings (DescribeConfigs).
    public var properties: [String: String] {
        [
            "segment.bytes": String(segmentBytes),
            "segment.ms": String(segmentMs),
            "segment.index.bytes": String(segmentIndexBytes),
            "index.interval.bytes": String(indexIntervalBytes),
            "retention.ms": String(retentionMs),
            "retention.bytes": String(retentionBytes),
            "cleanup.policy": cleanupPolicy.name,
            "delete.retention.ms": String(deleteRetentionMs),
            "min.compaction.lag.ms": String(minCompactionLagMs),
            "min.cleanable.dirty.ratio": String(minCleanableDirtyRatio),
            "max.message.bytes": String(maxMessageBytes),
            "message.timestamp.type": messageTimestampType.description,
            "flush.messages": String(flushMessages),
            "flush.ms": String(flushMs),
            "file.delete.delay.ms": String(fileDeleteDelayMs),
            "compression.type": compressionType,
            "preallocate": String(preallocate),
        ]
    }

    /// `base` with the given overrides applied. Unknown keys are ignored (the broker handles
    /// topic configs that are not about the log, such as `min.insync.replicas`); a bad value
    /// for a known key is `LogError.invalidConfig`.
    public init(overriding base: LogConfig = LogConfig(), with overrides: [String: String]) throws(LogError) {
        self = base
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            try set(key, value)
        }
    }

    public mutating func set(_ key: String, _ value: String) throws(LogError) {
        func int(min: Int64 = 0, max: Int64 = .max) throws(LogError) -> Int64 {
            guard let number = Int64(value.trimmingSpaces), number >= min, number <= max else {
                throw LogError.invalidConfig("\(key)=\(value): expected an integer in \(min)...\(max)")
            }
            return number
        }
        switch key {
        case "segment.bytes": segmentBytes = Int(try int(min: 14, max: Int64(Int32.max)))
        case "segment.ms": segmentMs = try int(min: 1)
        case "segment.index.bytes": segmentIndexBytes = Int(try int(min: 8, max: Int64(Int32.max)))
        case "index.interval.bytes": indexIntervalBytes = Int(try int(max: Int64(Int32.max)))
        case "retention.ms": retentionMs = try int(min: -1)
        case "retention.bytes": retentionBytes = try int(min: -1)
        case "delete.retention.ms": deleteRetentionMs = try int()
        case "min.compaction.lag.ms": minCompactionLagMs = try int()
        case "max.message.bytes": maxMessageBytes = Int(try int(max: Int64(Int32.max)))
        case "flush.messages": flushMessages = try int(min: 1)
        case "flush.ms": flushMs = try int()
        case "file.delete.delay.ms": fileDeleteDelayMs = try int()
        case "compression.type":
            let known = ["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"]
            guard known.contains(value) else { throw LogError.invalidConfig("\(key)=\(value)") }
            compressionType = value
        case "preallocate":
            guard let flag = Bool(value.lowercased()) else { throw LogError.invalidConfig("\(key)=\(value)") }
            preallocate = flag
        case "min.cleanable.dirty.ratio":
            guard let ratio = Double(value), ratio >= 0, ratio <= 1 else { throw LogError.invalidConfig("\(key)=\(value)") }
            minCleanableDirtyRatio = ratio
        case "message.timestamp.type":
            switch value {
            case "CreateTime": messageTimestampType = .createTime
            case "LogAppendTime": messageTimestampType = .logAppendTime
            default: throw LogError.invalidConfig("\(key)=\(value)")
            }
        case "cleanup.policy":
            let parts = Set(value.split(separator: ",").map { $0.trimmingSpaces })
            switch parts {
            case ["delete"]: cleanupPolicy = .delete
            case ["compact"]: cleanupPolicy = .compact
            case ["compact", "delete"]: cleanupPolicy = .compactAndDelete
            default: throw LogError.invalidConfig("\(key)=\(value)")
            }
        default:
            break
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
