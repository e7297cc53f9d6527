import Dispatch
import Synchronization
import Testing

@testable import ZooKeeperServer

/// `QuorumNode` ends each burst of work by handing its messages to the transport and then
/// writing the burst's entries in one append.
@Suite struct QuorumNodeBurstTests {
    /// What the store and the transport were asked to do, in order.
    final class Record: Sendable {
        let calls = Mutex<[String]>([])
        func add(_ call: String) { calls.withLock { $0.append(call) } }
    }

    final class RecordingStore: QuorumStore, Sendable {
        let record: Record
        init(_ record: Record) { self.record = record }
        func append(_ entries: [QuorumEntry]) throws { record.add("append \(entries.count)") }
        func syncer() -> (@Sendable () throws -> Void)? { { [record] in record.add("sync") } }
        func payloads(after: Zxid, through: Zxid) throws -> [QuorumEntry]? { nil }
        func truncate(after zxid: Zxid) throws { record.add("truncate") }
        func install(_ snapshot: QuorumSnapshot) throws { record.add("install") }
        func persist(_ state: QuorumPersistentState) throws { record.add("persist") }
    }

    @Test func aBurstOfProposalsLeavesAsOneMessagePerFollowerThenOneAppend() throws {
        var peer = FollowerCommitTests.leader(of: [1, 2, 3])
        // The election's own effects (its persisted vote and epoch) are not this test's.
        _ = peer.takeEffects()
        let record = Record()
        let node = QuorumNode(peer: peer, store: RecordingStore(record)) { to, frame in
            guard case .message(.propose(_, _, let entries, _, _))? = try? QuorumCodec.decode(body: frame.dropFirst(4)) else {
                return record.add("send to \(to)")
            }
            record.add("propose \(entries.count) to \(to)")
        }
        defer { node.stop() }
        let zxids = node.queue.sync { (0..<5).map { index in node.propose { _ in [UInt8(index)] } } }
        #expect(zxids.allSatisfy { $0 != nil })
        // The burst's end was queued behind the proposals; the fsync runs elsewhere after it.
        node.queue.sync {}
        let calls = record.calls.withLock { $0 }
        #expect(Array(calls.prefix(3)) == ["propose 5 to 2", "propose 5 to 3", "append 5"])
        #expect(calls.filter { $0.hasPrefix("append") } == ["append 5"])
    }
}
