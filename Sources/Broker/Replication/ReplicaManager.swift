import Dispatch
import Foundation
import KafkaProtocol
import LogStore
import Logging
import Synchronization
import Wire

/// The replicas this broker holds: opens their logs, creates and deletes them as topics come
/// and go, applies topic configs, and serves the data path (append, read, offsets) for the
/// request handlers. Standalone, every partition is led here with this broker as the only
/// replica; the cluster's controller will drive the same object with leader and follower roles.
public final class ReplicaManager: Sendable {
    public let logManager: LogManager
    let brokerId: Int32
    let config: BrokerConfig
    let logger: Logger
    let partitions = Mutex<[TopicPartition: Partition]>([:])
    /// Each topic's overrides, for the settings the broker applies itself (min.insync.replicas).
    let topicOverrides = Mutex<[String: [String: String]]>([:])
    let stopped = Atomic<Bool>(false)
    /// Parked fetches, completed by appends or timers.
    public let fetchPurgatory: FetchPurgatory

    public init(config: BrokerConfig, brokerId: Int32, clusterId: String, logger: Logger) throws {
        self.config = config
        self.brokerId = brokerId
        self.logger = logger
        var options = LogManager.Options(
            logDirs: config.logDirs, defaultConfig: try Self.defaultLogConfig(config), brokerId: brokerId, clusterId: clusterId)
        options.retentionCheckIntervalMs = config.int64("log.retention.check.interval.ms")
        options.cleanerEnabled = config.bool("log.cleaner.enable")
        let environment = LogEnvironment(log: { [logger] message in logger.warning("\(message)") })
        logManager = try LogManager(options: options, environment: environment)
        fetchPurgatory = FetchPurgatory()
    }

    /// The broker's defaults for every topic key the log store knows.
    static func defaultLogConfig(_ config: BrokerConfig) throws -> LogConfig {
        var values: [String: String] = [:]
        for key in TopicConfigKeys.all {
            if let value = TopicDefaults.value(for: key.definition.name, in: config) { values[key.definition.name] = value }
        }
        return try LogConfig(overriding: LogConfig(), with: values)
    }

    /// Brings the local replicas in line with the topics: opens or creates their logs and
    /// applies each topic's overrides.
    public func load(topics: [TopicInfo]) throws {
        for topic in topics {
            try ensure(topic)
        }
        let known = Set(topics.flatMap { t in t.partitions.map { TopicPartition(topic: t.name, partition: $0.index) } })
        for tp in logManager.allLogs.keys where !known.contains(tp) {
            logger.warning("a log exists for a partition no topic has; leaving it untouched", metadata: ["partition": "\(tp)"])
        }
    }

    func ensure(_ topic: TopicInfo) throws {
        try logManager.setTopicConfig(topic.name, overrides: topic.configs)
        topicOverrides.withLock { $0[topic.name] = topic.configs }
        for p in topic.partitions where p.replicas.contains(brokerId) {
            let tp = TopicPartition(topic: topic.name, partition: p.index)
            if partitions.withLock({ $0[tp] }) != nil { continue }
            let log = try logManager.getOrCreateLog(tp, topicId: topic.id)
            if (log.latestLeaderEpoch ?? -1) < p.leaderEpoch {
                try log.assignLeaderEpoch(p.leaderEpoch, startOffset: log.logEndOffset)
            }
            // A single in-sync replica: everything in the log is committed.
            if p.isr == [brokerId] { _ = log.updateHighWatermark(log.logEndOffset) }
            let producers = Partition.loadProducers(log: log, directory: log.directory) { [logger] message in logger.warning("\(message)") }
            let partition = Partition(topicPartition: tp, log: log, leaderEpoch: p.leaderEpoch, isr: p.isr, producers: producers)
            partitions.withLock { $0[tp] = partition }
        }
    }

    /// Follows topic changes made through the admin APIs.
    public func apply(_ change: TopicAdmin.Change) {
        do {
            switch change {
            case .created(let t), .partitionsAdded(let t, _), .configsChanged(let t):
                try ensure(t)
            case .deleted(let t):
                for p in t.partitions {
                    let tp = TopicPartition(topic: t.name, partition: p.index)
                    _ = partitions.withLock { $0.removeValue(forKey: tp) }
                    try logManager.deleteLog(tp)
                }
            }
        } catch {
            logger.error("could not apply a topic change to the local logs: \(error)")
        }
    }

    public func partition(_ tp: TopicPartition) -> Partition? { partitions.withLock { $0[tp] } }

    /// A topic setting the broker applies itself (not the log store): the topic's override,
    /// else the broker's default for it.
    func topicSetting(_ topic: String, _ key: String) -> String? {
        topicOverrides.withLock { $0[topic]?[key] } ?? TopicDefaults.value(for: key, in: config)
    }

    /// Forgets idle producers (`producer.id.expiration.ms`) on every partition.
    func expireProducers(now: Int64) {
        let expiration = config.int64("producer.id.expiration.ms")
        for partition in allPartitions {
            partition.state.withLock { $0.producers.expire(now: now, expirationMs: expiration) }
        }
    }

    /// Runs producer expiry every `producer.id.expiration.check.interval.ms` until shutdown.
    public func startMaintenance() {
        let interval = max(1, config.int("producer.id.expiration.check.interval.ms"))
        let queue = DispatchQueue(label: "petrel.replica-maintenance")
        @Sendable func tick() {
            queue.asyncAfter(deadline: .now() + .milliseconds(interval)) { [weak self] in
                guard let self, !self.stopped.load(ordering: .acquiring) else { return }
                self.expireProducers(now: Int64(Date().timeIntervalSince1970 * 1000))
                tick()
            }
        }
        tick()
    }

    public var allPartitions: [Partition] { partitions.withLock { Array($0.values) } }

    /// Snapshots producer state, flushes and closes every log (clean shutdown).
    public func shutdown() {
        stopped.store(true, ordering: .releasing)
        for partition in allPartitions {
            partition.snapshotProducers(directory: partition.log.directory)
        }
        do {
            try logManager.shutdown()
        } catch {
            logger.error("log shutdown failed: \(error)")
        }
    }
}
