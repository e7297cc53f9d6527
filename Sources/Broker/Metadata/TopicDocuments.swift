import Foundation
import Wire

/// The JSON documents Kafka keeps per topic in ZooKeeper mode, in Kafka's own formats:
/// - `/brokers/topics/<t>`: `{"version":3,"partitions":{"0":[1,2]},"adding_replicas":{},"removing_replicas":{},"topic_id":"…"}`
/// - `/brokers/topics/<t>/partitions/<p>/state`: `{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]}`
/// - `/config/topics/<t>`: `{"version":1,"config":{"retention.ms":"…"}}`
public enum TopicDocuments {
    public enum DecodeError: Error, CustomStringConvertible {
        case malformed(path: String, detail: String)
        public var description: String {
            switch self {
            case .malformed(let path, let detail): return "metadata document \(path) is malformed: \(detail)"
            }
        }
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { [UInt8]($0) } ?? []
    }

    static func object(_ bytes: [UInt8], path: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw DecodeError.malformed(path: path, detail: "not a JSON object")
        }
        return object
    }

    // MARK: /brokers/topics/<t>

    public static func encodeAssignment(topicId: Uuid, replicas: [Int32: [Int32]]) -> [UInt8] {
        var partitions: [String: [Int]] = [:]
        for (p, r) in replicas { partitions[String(p)] = r.map(Int.init) }
        return json([
            "version": 3, "partitions": partitions, "adding_replicas": [String: Any](),
            "removing_replicas": [String: Any](), "topic_id": topicId.description,
        ])
    }

    public static func decodeAssignment(_ bytes: [UInt8], path: String) throws -> (topicId: Uuid?, replicas: [Int32: [Int32]]) {
        let object = try object(bytes, path: path)
        guard let partitions = object["partitions"] as? [String: [Int]] else {
            throw DecodeError.malformed(path: path, detail: "no partitions map")
        }
        var replicas: [Int32: [Int32]] = [:]
        for (key, value) in partitions {
            guard let p = Int32(key), p >= 0 else { throw DecodeError.malformed(path: path, detail: "partition '\(key)'") }
            replicas[p] = value.map { Int32(truncatingIfNeeded: $0) }
        }
        let id = (object["topic_id"] as? String).flatMap { Uuid(base64URL: $0) }
        return (id, replicas)
    }

    // MARK: partition state

    public struct PartitionState: Sendable, Hashable {
        public var leader: Int32
        public var leaderEpoch: Int32
        public var isr: [Int32]
        public var controllerEpoch: Int32

        public init(leader: Int32, leaderEpoch: Int32, isr: [Int32], controllerEpoch: Int32) {
            self.leader = leader
            self.leaderEpoch = leaderEpoch
            self.isr = isr
            self.controllerEpoch = controllerEpoch
        }
    }

    public static func encodeState(_ s: PartitionState) -> [UInt8] {
        json([
            "controller_epoch": Int(s.controllerEpoch), "leader": Int(s.leader), "version": 1,
            "leader_epoch": Int(s.leaderEpoch), "isr": s.isr.map(Int.init),
        ])
    }

    public static func decodeState(_ bytes: [UInt8], path: String) throws -> PartitionState {
        let o = try object(bytes, path: path)
        guard let leader = o["leader"] as? Int, let epoch = o["leader_epoch"] as? Int, let isr = o["isr"] as? [Int] else {
            throw DecodeError.malformed(path: path, detail: "leader, leader_epoch and isr are required")
        }
        return PartitionState(
            leader: Int32(truncatingIfNeeded: leader), leaderEpoch: Int32(truncatingIfNeeded: epoch),
            isr: isr.map { Int32(truncatingIfNeeded: $0) },
            controllerEpoch: Int32(truncatingIfNeeded: o["controller_epoch"] as? Int ?? 0))
    }

    // MARK: /config/topics/<t>

    public static func encodeConfig(_ config: [String: String]) -> [UInt8] {
        json(["version": 1, "config": config])
    }

    public static func decodeConfig(_ bytes: [UInt8], path: String) throws -> [String: String] {
        let o = try object(bytes, path: path)
        guard let config = o["config"] as? [String: String] else {
            throw DecodeError.malformed(path: path, detail: "no config map")
        }
        return config
    }
}
