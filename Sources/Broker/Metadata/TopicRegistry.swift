import Foundation
import Synchronization
import Wire

/// A partition as the cluster knows it: who holds replicas, who leads, who is in sync.
public struct PartitionInfo: Sendable, Hashable {
    public var index: Int32
    public var replicas: [Int32]
    public var leader: Int32
    public var leaderEpoch: Int32
    public var isr: [Int32]

    public init(index: Int32, replicas: [Int32], leader: Int32, leaderEpoch: Int32, isr: [Int32]) {
        self.index = index
        self.replicas = replicas
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.isr = isr
    }
}

public struct TopicInfo: Sendable, Hashable {
    public var name: String
    public var id: Uuid
    public var partitions: [PartitionInfo]
    /// Topic-level overrides only; defaults come from the broker's configuration.
    public var configs: [String: String]

    public init(name: String, id: Uuid, partitions: [PartitionInfo], configs: [String: String]) {
        self.name = name
        self.id = id
        self.partitions = partitions
        self.configs = configs
    }

    public var isInternal: Bool { TopicName.internalTopics.contains(name) }
}

/// The topics of the cluster, kept in Kafka's znode documents through a `MetadataBackend`, with
/// an in-memory view for the request path. Writers go through here, one at a time; readers get
/// consistent snapshots without waiting on the backend.
public final class TopicRegistry: Sendable {
    let backend: any MetadataBackend
    let topics = Mutex<[String: TopicInfo]>([:])
    /// Serialises writers so the document order on the backend matches the in-memory order.
    let writeLock = Mutex<Void>(())

    public init(backend: any MetadataBackend) throws {
        self.backend = backend
        var loaded: [String: TopicInfo] = [:]
        for name in try backend.children(ZkLayout.brokersTopics) {
            guard let info = try Self.load(name, from: backend) else { continue }
            loaded[name] = info
        }
        topics.withLock { $0 = loaded }
    }

    static func load(_ name: String, from backend: any MetadataBackend) throws -> TopicInfo? {
        guard let assignmentBytes = try backend.read(ZkLayout.topic(name)) else { return nil }
        let (id, replicas) = try TopicDocuments.decodeAssignment(assignmentBytes, path: ZkLayout.topic(name))
        var partitions: [PartitionInfo] = []
        for p in replicas.keys.sorted() {
            let replicaList = replicas[p] ?? []
            let statePath = ZkLayout.partitionState(name, p)
            let state = try backend.read(statePath).map { try TopicDocuments.decodeState($0, path: statePath) }
            partitions.append(PartitionInfo(
                index: p, replicas: replicaList, leader: state?.leader ?? replicaList.first ?? -1,
                leaderEpoch: state?.leaderEpoch ?? 0, isr: state?.isr ?? replicaList))
        }
        let configPath = ZkLayout.topicConfig(name)
        let configs = try backend.read(configPath).map { try TopicDocuments.decodeConfig($0, path: configPath) } ?? [:]
        return TopicInfo(name: name, id: id ?? Uuid.random(), partitions: partitions, configs: configs)
    }

    public var all: [TopicInfo] { topics.withLock { Array($0.values) }.sorted { $0.name < $1.name } }
    public func topic(named name: String) -> TopicInfo? { topics.withLock { $0[name] } }
    public func topic(id: Uuid) -> TopicInfo? { topics.withLock { $0.values.first { $0.id == id } } }

    /// Stores a new topic or replaces one (partitions added, configs altered).
    public func put(_ info: TopicInfo) throws {
        try writeLock.withLock { _ in
            try backend.write(ZkLayout.topicConfig(info.name), TopicDocuments.encodeConfig(info.configs))
            for p in info.partitions {
                try backend.write(
                    ZkLayout.partitionState(info.name, p.index),
                    TopicDocuments.encodeState(.init(leader: p.leader, leaderEpoch: p.leaderEpoch, isr: p.isr, controllerEpoch: 1)))
            }
            // The assignment last: a topic exists once this document does.
            let replicas = Dictionary(uniqueKeysWithValues: info.partitions.map { ($0.index, $0.replicas) })
            try backend.write(ZkLayout.topic(info.name), TopicDocuments.encodeAssignment(topicId: info.id, replicas: replicas))
            topics.withLock { $0[info.name] = info }
        }
    }

    public func remove(named name: String) throws {
        try writeLock.withLock { _ in
            try backend.delete(ZkLayout.topic(name))
            try backend.delete(ZkLayout.topicConfig(name))
            topics.withLock { $0[name] = nil }
        }
    }
}
