import Foundation
import Wire

/// The cluster id at `/cluster/id` (`{"version":"1","id":"<22 base64url chars>"}`), created by
/// the first broker that finds none, as Kafka does.
enum ClusterIdentity {
    static func loadOrCreate(_ backend: any MetadataBackend) throws -> String {
        if let bytes = try backend.read(ZkLayout.clusterId) {
            guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                let id = object["id"] as? String, !id.isEmpty
            else {
                throw TopicDocuments.DecodeError.malformed(path: ZkLayout.clusterId, detail: "no id")
            }
            return id
        }
        let id = Uuid.random().description
        let document = try JSONSerialization.data(withJSONObject: ["version": "1", "id": id], options: [.sortedKeys])
        try backend.write(ZkLayout.clusterId, [UInt8](document))
        return id
    }
}
