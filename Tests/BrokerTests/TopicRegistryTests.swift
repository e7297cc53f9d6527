import Foundation
import Testing
import Wire

@testable import Broker

@Suite struct TopicRegistryTests {
    func tempDir() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("petrel-registry-\(UUID().uuidString)")
    }

    @Test func documentsAreKafkasJSON() throws {
        let id = Uuid(high: 1, low: 2)
        let bytes = TopicDocuments.encodeAssignment(topicId: id, replicas: [0: [1, 2, 3], 1: [2, 3, 1]])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["version"] as? Int == 3)
        #expect((object["partitions"] as? [String: [Int]])?["1"] == [2, 3, 1])
        #expect(object["topic_id"] as? String == id.description)
        let decoded = try TopicDocuments.decodeAssignment(bytes, path: "/brokers/topics/x")
        #expect(decoded.topicId == id && decoded.replicas[0] == [1, 2, 3])

        let state = TopicDocuments.PartitionState(leader: 2, leaderEpoch: 5, isr: [2, 3], controllerEpoch: 4)
        #expect(try TopicDocuments.decodeState(TopicDocuments.encodeState(state), path: "s") == state)
        #expect(try TopicDocuments.decodeConfig(TopicDocuments.encodeConfig(["retention.ms": "1"]), path: "c") == ["retention.ms": "1"])
        #expect(throws: TopicDocuments.DecodeError.self) { try TopicDocuments.decodeState(Array("[]".utf8), path: "s") }
    }

    @Test func topicsSurviveARestart() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let topic = TopicInfo(
            name: "order.created", id: .random(),
            partitions: (0..<3).map { PartitionInfo(index: $0, replicas: [0], leader: 0, leaderEpoch: 0, isr: [0]) },
            configs: ["retention.ms": "604800000"])
        do {
            let registry = try TopicRegistry(backend: try LocalMetadataBackend(root: dir))
            try registry.put(topic)
            try registry.put(TopicInfo(name: "gone", id: .random(), partitions: [], configs: [:]))
            try registry.remove(named: "gone")
        }
        let reopened = try TopicRegistry(backend: try LocalMetadataBackend(root: dir))
        #expect(reopened.all == [topic])
        #expect(reopened.topic(id: topic.id)?.name == "order.created")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("brokers/topics/order.created.json").path))
        #expect(FileManager.default.fileExists(
            atPath: dir.appendingPathComponent("brokers/topics/order.created/partitions/2/state.json").path))
    }
}
