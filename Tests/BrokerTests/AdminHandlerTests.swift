import Foundation
import KafkaProtocol
import Synchronization
import Testing
import Wire

@testable import Broker

/// The admin handlers behind a real dispatcher, on a standalone broker's metadata.
@Suite struct AdminHandlerTests {
    let config: BrokerConfig
    let admin: TopicAdmin
    let dispatcher: RequestDispatcher

    init() throws {
        config = try BrokerConfig(properties: [("num.partitions", "3"), ("log.retention.hours", "72")])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-handlers-\(UUID().uuidString)")
        let registry = try TopicRegistry(backend: try LocalMetadataBackend(root: dir))
        let cluster = StandaloneCluster(
            clusterId: "cluster-1", brokerId: 0, advertised: [Listener(name: "PLAINTEXT", host: "localhost", port: 9092)], rack: nil)
        admin = TopicAdmin(registry: registry, cluster: cluster, config: config)
        dispatcher = RequestDispatcher(handlers: [
            MetadataHandler(admin: admin, cluster: cluster, config: config),
            CreateTopicsHandler(admin: admin, config: config),
            DeleteTopicsHandler(admin: admin),
            CreatePartitionsHandler(admin: admin),
            DescribeConfigsHandler(registry: registry, config: config, brokerId: 0),
            AlterConfigsHandler(admin: admin),
            IncrementalAlterConfigsHandler(admin: admin, config: config),
            DescribeClusterHandler(cluster: cluster),
        ])
    }

    func call<R: KafkaRequest>(_ request: R, version: Int16) throws -> R.Response {
        let frame = Array(try encodeRequestFrame(request, version: version, correlationId: 5, clientId: "t").bytes.dropFirst(4))
        let result = Mutex<RequestDispatcher.Outcome?>(nil)
        dispatcher.dispatch(frame: frame, clientHost: "127.0.0.1", connectionId: 1, listenerName: "PLAINTEXT") { o in
            result.withLock { $0 = o }
        }
        guard case .frame(let writer, _)? = result.withLock({ $0 }) else {
            throw AdminError(.unknownServerError, "\(R.messageName) v\(version): no response frame: \(String(describing: result.withLock { $0 }))")
        }
        var reader = ByteReader(writer.bytes)
        _ = try reader.readInt32()
        _ = try ResponseHeader(from: &reader, version: R.apiKey.responseHeaderVersion(apiVersion: version))
        let response = try R.Response(from: &reader, version: version)
        #expect(reader.isAtEnd)
        return response
    }

    @Test func everyAdvertisedVersionAnswers() throws {
        for (key, versions) in dispatcher.advertised {
            for version in versions {
                switch key {
                case .metadata: _ = try call(MetadataRequest(topics: version == 0 ? [] : nil), version: version)
                case .createTopics:
                    _ = try call(CreateTopicsRequest(topics: [.init(name: "v\(version)", numPartitions: 1, replicationFactor: 1)]), version: version)
                case .deleteTopics:
                    let request = version >= 6 ? DeleteTopicsRequest(topics: [.init(name: "nope")]) : DeleteTopicsRequest(topicNames: ["nope"])
                    _ = try call(request, version: version)
                case .createPartitions: _ = try call(CreatePartitionsRequest(topics: [.init(name: "nope", count: 2)]), version: version)
                case .describeConfigs:
                    _ = try call(DescribeConfigsRequest(resources: [.init(resourceType: 4, resourceName: "0")]), version: version)
                case .alterConfigs: _ = try call(AlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "x")]), version: version)
                case .incrementalAlterConfigs:
                    _ = try call(IncrementalAlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "x")]), version: version)
                case .describeCluster: _ = try call(DescribeClusterRequest(endpointType: 1), version: version)
                case .apiVersions: _ = try call(ApiVersionsRequest(), version: version)
                default: Issue.record("untested API \(key)")
                }
            }
        }
    }

    @Test func createDescribeAlterDelete() throws {
        let created = try call(CreateTopicsRequest(topics: [
            .init(name: "order.created", numPartitions: -1, replicationFactor: -1, configs: [.init(name: "retention.ms", value: "1000")]),
            .init(name: "bad!", numPartitions: 1, replicationFactor: 1),
        ]), version: 7)
        #expect(created.topics[0].errorCode == 0 && created.topics[0].numPartitions == 3 && created.topics[0].topicId != .zero)
        #expect(created.topics[0].configs?.first { $0.name == "retention.ms" }?.configSource == 1)
        #expect(created.topics[0].configs?.first { $0.name == "segment.bytes" }?.configSource == 5)
        #expect(created.topics[1].errorCode == ErrorCode.invalidTopicException.rawValue)

        let described = try call(DescribeConfigsRequest(
            resources: [.init(resourceType: 2, resourceName: "order.created", configurationKeys: nil)], includeSynonyms: true), version: 4)
        let configs = described.results[0].configs
        #expect(configs.first { $0.name == "retention.ms" }?.value == "1000")
        #expect(configs.first { $0.name == "cleanup.policy" }?.value == "delete")
        let retention = try #require(configs.first { $0.name == "retention.ms" })
        #expect(retention.synonyms.map(\.name) == ["retention.ms", "log.retention.hours", "log.retention.hours"])
        #expect(retention.synonyms.map(\.source) == [1, 4, 5])

        let altered = try call(IncrementalAlterConfigsRequest(resources: [.init(
            resourceType: 2, resourceName: "order.created",
            configs: [.init(name: "cleanup.policy", configOperation: 2, value: "compact"), .init(name: "retention.ms", configOperation: 1)])]),
            version: 1)
        #expect(altered.responses[0].errorCode == 0)
        #expect(admin.registry.topic(named: "order.created")?.configs == ["cleanup.policy": "delete,compact"])

        let metadata = try call(MetadataRequest(topics: [.init(name: "order.created"), .init(name: "auto.made")], allowAutoTopicCreation: true), version: 12)
        #expect(metadata.topics.map(\.errorCode) == [0, 0])
        #expect(metadata.topics[1].partitions.count == 3)
        #expect(metadata.brokers == [.init(nodeId: 0, host: "localhost", port: 9092)])
        #expect(metadata.clusterId == "cluster-1")

        let noCreate = try call(MetadataRequest(topics: [.init(name: "never")], allowAutoTopicCreation: false), version: 12)
        #expect(noCreate.topics[0].errorCode == ErrorCode.unknownTopicOrPartition.rawValue)

        let deleted = try call(DeleteTopicsRequest(topics: [.init(name: nil, topicId: metadata.topics[1].topicId)]), version: 6)
        #expect(deleted.responses[0].errorCode == 0 && deleted.responses[0].name == "auto.made")
        #expect(admin.registry.topic(named: "auto.made") == nil)
    }
}
