import Synchronization
import Wire

/// Creates, deletes and changes topics with Kafka's validation and messages (the controller's
/// side of CreateTopics, DeleteTopics, CreatePartitions and config changes). Standalone, this
/// broker is the controller; in a cluster the same rules run on the controller over the
/// coordination service. Local replicas follow through `onChange`.
public final class TopicAdmin: Sendable {
    public enum Change: Sendable {
        case created(TopicInfo)
        case partitionsAdded(TopicInfo, from: Int)
        case configsChanged(TopicInfo)
        case deleted(TopicInfo)
    }

    public let registry: TopicRegistry
    let cluster: any ClusterView
    let config: BrokerConfig
    let listeners = Mutex<[@Sendable (Change) -> Void]>([])
    /// One admin operation at a time: checks and writes must not interleave.
    let serial = Mutex<Void>(())

    public init(registry: TopicRegistry, cluster: any ClusterView, config: BrokerConfig) {
        self.registry = registry
        self.cluster = cluster
        self.config = config
    }

    public func onChange(_ listener: @escaping @Sendable (Change) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    func notify(_ change: Change) {
        for listener in listeners.withLock({ $0 }) { listener(change) }
    }

    var brokerIds: [Int32] { cluster.liveBrokerIds.sorted() }

    // MARK: Create

    public struct CreateRequest: Sendable {
        public var name: String
        /// -1: the broker's num.partitions.
        public var numPartitions: Int32
        /// -1: the broker's default.replication.factor.
        public var replicationFactor: Int16
        /// Explicit replica lists by partition; exclusive with the two counts.
        public var assignments: [Int32: [Int32]]
        public var configs: [String: String?]

        public init(name: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
                    assignments: [Int32: [Int32]] = [:], configs: [String: String?] = [:]) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }
    }

    /// Validates and (unless `validateOnly`) creates a topic; returns what it is or would be.
    public func create(_ request: CreateRequest, validateOnly: Bool) -> Result<TopicInfo, AdminError> {
        serial.withLock { _ in
            let result = plan(request)
            guard case .success(let info) = result, !validateOnly else { return result }
            do {
                try registry.put(info)
            } catch {
                return .failure(AdminError(.kafkaStorageError, "could not store topic \(request.name): \(error)"))
            }
            notify(.created(info))
            return .success(info)
        }
    }

    func plan(_ request: CreateRequest) -> Result<TopicInfo, AdminError> {
        let name = request.name
        if let problem = TopicName.validate(name) {
            return .failure(AdminError(.invalidTopicException, problem.description))
        }
        if registry.topic(named: name) != nil {
            return .failure(AdminError(.topicAlreadyExists, "Topic '\(name)' already exists."))
        }
        if TopicName.hasCollisionChars(name),
            let other = registry.all.first(where: { TopicName.collisionKey($0.name) == TopicName.collisionKey(name) })
        {
            return .failure(AdminError(.invalidTopicException, "Topic '\(name)' collides with existing topic: \(other.name)"))
        }
        let configs: [String: String]
        switch TopicConfigValidator.validate(request.configs) {
        case .success(let c): configs = c
        case .failure(let e): return .failure(e)
        }
        let brokers = brokerIds
        let assignments: [Int32: [Int32]]
        if !request.assignments.isEmpty {
            guard request.numPartitions == -1 && request.replicationFactor == -1 else {
                return .failure(AdminError(.invalidRequest,
                    "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time."))
            }
            if let problem = Self.checkAssignments(request.assignments, firstPartition: 0, brokers: brokers) {
                return .failure(problem)
            }
            assignments = request.assignments
        } else {
            let partitions = request.numPartitions == -1 ? Int32(config.int("num.partitions")) : request.numPartitions
            let factor = request.replicationFactor == -1 ? Int16(config.int("default.replication.factor")) : request.replicationFactor
            guard partitions > 0 else {
                return .failure(AdminError(.invalidPartitions, "Number of partitions must be larger than 0."))
            }
            guard factor > 0 else {
                return .failure(AdminError(.invalidReplicationFactor, "Replication factor must be larger than 0."))
            }
            guard Int(factor) <= brokers.count else {
                return .failure(AdminError(.invalidReplicationFactor,
                    "Replication factor: \(factor) larger than available brokers: \(brokers.count)."))
            }
            assignments = ReplicaPlacement.assign(partitions: partitions, replicationFactor: Int(factor), brokers: brokers, startPartition: 0)
        }
        let partitions = assignments.keys.sorted().map { p in
            let replicas = assignments[p] ?? []
            return PartitionInfo(index: p, replicas: replicas, leader: replicas.first ?? -1, leaderEpoch: 0, isr: replicas)
        }
        return .success(TopicInfo(name: name, id: .random(), partitions: partitions, configs: configs))
    }

    /// Kafka's checks on explicit assignments: partitions numbered from `firstPartition` without
    /// gaps, each with the same non-zero number of distinct, live brokers.
    static func checkAssignments(_ assignments: [Int32: [Int32]], firstPartition: Int32, brokers: [Int32]) -> AdminError? {
        let indices = assignments.keys.sorted()
        guard indices == Array(firstPartition..<(firstPartition + Int32(indices.count))) else {
            return AdminError(.invalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence")
        }
        let sizes = Set(assignments.values.map(\.count))
        for (p, replicas) in assignments.sorted(by: { $0.key < $1.key }) {
            if replicas.isEmpty {
                return AdminError(.invalidReplicaAssignment, "Replica assignment for partition \(p) is empty.")
            }
            if Set(replicas).count != replicas.count {
                return AdminError(.invalidReplicaAssignment, "Duplicate brokers not allowed in replica assignment: \(replicas.map(String.init).joined(separator: ", ")) for partition id \(p).")
            }
            if let unknown = replicas.first(where: { !brokers.contains($0) }) {
                return AdminError(.brokerNotAvailable, "Unknown broker \(unknown) in replica assignment for partition \(p).")
            }
        }
        if sizes.count > 1 {
            return AdminError(.invalidReplicaAssignment, "All partitions should have the same number of replicas")
        }
        return nil
    }

    // MARK: Delete

    public func delete(named name: String) -> Result<TopicInfo, AdminError> {
        serial.withLock { _ in
            guard config.bool("delete.topic.enable") else {
                return .failure(AdminError(.topicDeletionDisabled, "Topic deletion is disabled."))
            }
            guard let info = registry.topic(named: name) else {
                return .failure(AdminError(.unknownTopicOrPartition, "This server does not host this topic-partition."))
            }
            do {
                try registry.remove(named: name)
            } catch {
                return .failure(AdminError(.kafkaStorageError, "could not delete topic \(name): \(error)"))
            }
            notify(.deleted(info))
            return .success(info)
        }
    }

    // MARK: Partitions

    public func createPartitions(
        topic name: String, count: Int32, assignments: [[Int32]]?, validateOnly: Bool
    ) -> Result<TopicInfo, AdminError> {
        serial.withLock { _ in
            guard var info = registry.topic(named: name) else {
                return .failure(AdminError(.unknownTopicOrPartition, "The topic '\(name)' does not exist."))
            }
            let current = Int32(info.partitions.count)
            if count == current {
                return .failure(AdminError(.invalidPartitions, "Topic already has \(current) partitions."))
            }
            if count < current {
                return .failure(AdminError(.invalidPartitions,
                    "Topic currently has \(current) partitions, which is higher than the requested \(count)."))
            }
            let factor = info.partitions.first?.replicas.count ?? 1
            var added: [Int32: [Int32]]
            if let assignments {
                guard assignments.count == Int(count - current) else {
                    return .failure(AdminError(.invalidReplicaAssignment,
                        "Increasing the number of partitions by \(count - current) but \(assignments.count) assignments provided."))
                }
                added = [:]
                for (i, replicas) in assignments.enumerated() { added[current + Int32(i)] = replicas }
                if let problem = Self.checkAssignments(added, firstPartition: current, brokers: brokerIds) { return .failure(problem) }
            } else {
                added = ReplicaPlacement.assign(partitions: count - current, replicationFactor: factor, brokers: brokerIds, startPartition: current)
            }
            for p in added.keys.sorted() {
                let replicas = added[p] ?? []
                info.partitions.append(PartitionInfo(index: p, replicas: replicas, leader: replicas.first ?? -1, leaderEpoch: 0, isr: replicas))
            }
            if validateOnly { return .success(info) }
            do {
                try registry.put(info)
            } catch {
                return .failure(AdminError(.kafkaStorageError, "could not store topic \(name): \(error)"))
            }
            notify(.partitionsAdded(info, from: Int(current)))
            return .success(info)
        }
    }

    // MARK: Configs

    /// Replaces the topic's overrides with `configs` after validating them.
    public func setConfigs(topic name: String, _ configs: [String: String?], validateOnly: Bool) -> Result<TopicInfo, AdminError> {
        serial.withLock { _ in
            guard var info = registry.topic(named: name) else {
                return .failure(AdminError(.unknownTopicOrPartition, "The topic '\(name)' does not exist."))
            }
            switch TopicConfigValidator.validate(configs) {
            case .failure(let e): return .failure(e)
            case .success(let valid): info.configs = valid
            }
            if validateOnly { return .success(info) }
            do {
                try registry.put(info)
            } catch {
                return .failure(AdminError(.kafkaStorageError, "could not store configs of \(name): \(error)"))
            }
            notify(.configsChanged(info))
            return .success(info)
        }
    }
}

/// Spreads replicas over brokers as Kafka's rack-unaware assignment does: partition p's first
/// replica on broker p mod n; replica j after it at a shift of 1 + (s + j) mod (n - 1), where
/// the second-replica shift s grows by one every full round of brokers. Replicas of one
/// partition are always distinct brokers.
public enum ReplicaPlacement {
    public static func assign(partitions: Int32, replicationFactor: Int, brokers: [Int32], startPartition: Int32) -> [Int32: [Int32]] {
        let n = brokers.count
        guard n > 0, replicationFactor > 0, replicationFactor <= n else { return [:] }
        var result: [Int32: [Int32]] = [:]
        for i in 0..<Int(partitions) {
            let p = Int(startPartition) + i
            let first = p % n
            let secondShift = p / n
            var replicas = [brokers[first]]
            for j in 0..<(replicationFactor - 1) {
                let shift = 1 + (secondShift + j) % (n - 1)
                replicas.append(brokers[(first + shift) % n])
            }
            result[Int32(p)] = replicas
        }
        return result
    }
}
