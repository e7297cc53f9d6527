import Foundation
import KafkaProtocol
import Testing

@testable import Broker

@Suite struct TopicAdminTests {
    struct ThreeBrokers: ClusterView {
        let clusterId = "c"
        let localBrokerId: Int32 = 0
        let controllerId: Int32 = 0
        let liveBrokerIds: [Int32] = [0, 1, 2]
        func liveBrokers(listener: String) -> [BrokerEndpoint] {
            (0..<3).map { BrokerEndpoint(id: $0, host: "kafka-\($0)", port: 9092, rack: nil) }
        }
    }

    func admin(_ cluster: any ClusterView = StandaloneCluster(clusterId: "c", brokerId: 0, advertised: [], rack: nil),
               config: [(String, String)] = []) throws -> TopicAdmin {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-admin-\(UUID().uuidString)")
        let registry = try TopicRegistry(backend: try LocalMetadataBackend(root: dir))
        return TopicAdmin(registry: registry, cluster: cluster, config: try BrokerConfig(properties: config.map { ($0.0, $0.1) }))
    }

    func error(_ r: Result<TopicInfo, AdminError>) -> AdminError? {
        if case .failure(let e) = r { return e }
        return nil
    }

    @Test func createsWithDefaultsAndRefusesWhatKafkaRefuses() throws {
        let a = try admin(ThreeBrokers(), config: [("num.partitions", "3"), ("default.replication.factor", "3")])
        let created = try a.create(.init(name: "order.created", configs: ["retention.ms": "604800000"]), validateOnly: false).get()
        #expect(created.partitions.count == 3)
        #expect(created.partitions.allSatisfy { Set($0.replicas) == [0, 1, 2] && $0.leader == $0.replicas[0] })
        #expect(Set(created.partitions.map(\.leader)) == [0, 1, 2])
        #expect(created.configs == ["retention.ms": "604800000"])

        #expect(error(a.create(.init(name: "order.created"), validateOnly: false)) == AdminError(.topicAlreadyExists, "Topic 'order.created' already exists."))
        #expect(error(a.create(.init(name: "order_created"), validateOnly: false))?.code == .invalidTopicException)
        #expect(error(a.create(.init(name: "bad name"), validateOnly: false))?.code == .invalidTopicException)
        #expect(error(a.create(.init(name: "t", numPartitions: 0), validateOnly: false))
            == AdminError(.invalidPartitions, "Number of partitions must be larger than 0."))
        #expect(error(a.create(.init(name: "t", replicationFactor: 4), validateOnly: false))
            == AdminError(.invalidReplicationFactor, "Replication factor: 4 larger than available brokers: 3."))
        #expect(error(a.create(.init(name: "t", configs: ["retention.mss": "1"]), validateOnly: false))
            == AdminError(.invalidConfig, "Unknown topic config name: retention.mss"))
        #expect(error(a.create(.init(name: "t", configs: ["cleanup.policy": "shred"]), validateOnly: false))?.code == .invalidConfig)
        #expect(error(a.create(.init(name: "t", configs: ["retention.ms": nil]), validateOnly: false))?.code == .invalidRequest)
        #expect(error(a.create(.init(name: "t", numPartitions: 2, assignments: [0: [0]]), validateOnly: false))?.code == .invalidRequest)
        #expect(error(a.create(.init(name: "t", assignments: [0: [0], 2: [1]]), validateOnly: false))?.code == .invalidReplicaAssignment)
        #expect(error(a.create(.init(name: "t", assignments: [0: [0, 0]]), validateOnly: false))?.code == .invalidReplicaAssignment)
        #expect(error(a.create(.init(name: "t", assignments: [0: [9]]), validateOnly: false))?.code == .brokerNotAvailable)

        let dry = try a.create(.init(name: "dry", numPartitions: 5), validateOnly: true).get()
        #expect(dry.partitions.count == 5)
        #expect(a.registry.topic(named: "dry") == nil)
    }

    @Test func partitionsGrowOnly() throws {
        let a = try admin()
        _ = try a.create(.init(name: "t", numPartitions: 2), validateOnly: false).get()
        #expect(error(a.createPartitions(topic: "t", count: 2, assignments: nil, validateOnly: false))
            == AdminError(.invalidPartitions, "Topic already has 2 partitions."))
        #expect(error(a.createPartitions(topic: "t", count: 1, assignments: nil, validateOnly: false))?.code == .invalidPartitions)
        #expect(try a.createPartitions(topic: "t", count: 4, assignments: nil, validateOnly: false).get().partitions.map(\.index) == [0, 1, 2, 3])
        #expect(error(a.createPartitions(topic: "nope", count: 4, assignments: nil, validateOnly: false))?.code == .unknownTopicOrPartition)
    }

    @Test func deletionFollowsTheBrokerSetting() throws {
        let a = try admin()
        _ = try a.create(.init(name: "t"), validateOnly: false).get()
        #expect(try a.delete(named: "t").get().name == "t")
        #expect(error(a.delete(named: "t"))?.code == .unknownTopicOrPartition)
        let locked = try admin(config: [("delete.topic.enable", "false")])
        _ = try locked.create(.init(name: "t"), validateOnly: false).get()
        #expect(error(locked.delete(named: "t"))?.code == .topicDeletionDisabled)
    }

    @Test(arguments: [(1, 1), (3, 1), (3, 2), (3, 3), (5, 3)])
    func placementIsDistinctAndBalanced(brokers: Int, factor: Int) {
        let ids = (0..<Int32(brokers)).map { $0 + 10 }
        let plan = ReplicaPlacement.assign(partitions: 12, replicationFactor: factor, brokers: ids, startPartition: 0)
        #expect(plan.count == 12)
        for replicas in plan.values {
            #expect(replicas.count == factor && Set(replicas).count == factor)
        }
        let leaders = Dictionary(grouping: plan.values.map { $0[0] }, by: { $0 }).mapValues(\.count)
        #expect(leaders.values.max()! - leaders.values.min()! <= 1)
    }
}
