import Foundation
import Synchronization

/// Hands out producer ids for InitProducerId. Like Kafka in ZooKeeper mode, ids are claimed in
/// blocks of 1,000 recorded at `/latest_producer_id_block`
/// (`{"version":1,"broker":0,"block_start":"0","block_end":"999"}`), so an id is never handed out
/// twice, across restarts and (later) across brokers.
public final class ProducerIdManager: Sendable {
    public static let blockSize: Int64 = 1000

    struct State {
        var next: Int64 = 0
        var end: Int64 = -1
    }

    let backend: any MetadataBackend
    let brokerId: Int32
    let state = Mutex(State())

    public init(backend: any MetadataBackend, brokerId: Int32) {
        self.backend = backend
        self.brokerId = brokerId
    }

    public func nextId() throws -> Int64 {
        try state.withLock { s in
            if s.next > s.end {
                let previousEnd = try Self.decodeBlockEnd(backend.read(ZkLayout.latestProducerIdBlock)) ?? -1
                let start = previousEnd + 1
                let end = start + Self.blockSize - 1
                let document: [String: Any] = [
                    "version": 1, "broker": Int(brokerId), "block_start": String(start), "block_end": String(end),
                ]
                let bytes = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
                try backend.write(ZkLayout.latestProducerIdBlock, [UInt8](bytes))
                s.next = start
                s.end = end
            }
            defer { s.next += 1 }
            return s.next
        }
    }

    static func decodeBlockEnd(_ bytes: [UInt8]?) throws -> Int64? {
        guard let bytes else { return nil }
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let end = (object["block_end"] as? String).flatMap(Int64.init)
        else {
            throw TopicDocuments.DecodeError.malformed(path: ZkLayout.latestProducerIdBlock, detail: "no block_end")
        }
        return end
    }
}
