import Dispatch
import Testing

@testable import ZooKeeperServer

/// A member's connections read on queues of the member's event loop; a message they deliver
/// is taken at once instead of queued behind the loop's other work.
@Suite struct QuorumNodeReceiveTests {
    @Test func aMessageFromAQueueOfTheSameLoopIsTakenAtOnceAndOnlyThen() throws {
        let members: [PeerID] = [1, 2, 3]
        var leader = FollowerCommitTests.leader(of: members)
        let (zxid, _, proposal) = try FollowerCommitTests.proposeOne(&leader)
        let body = Array(QuorumCodec.encode(.message(proposal)).dropFirst(4))
        let loop = DispatchQueue(label: "test.loop")
        let follower = FollowerCommitTests.peer(2, members: members, epoch: leader.epoch, currentEpoch: leader.epoch)
        let node = QuorumNode(peer: follower, store: QuorumNodeBurstTests.RecordingStore(QuorumNodeBurstTests.Record()), targetQueue: loop) { _, _ in }
        defer { node.stop() }
        let connection = DispatchQueue(label: "test.connection", target: loop)
        // From a connection's queue on the node's loop: the proposal is in the log when
        // `receive` returns, and the node may be asked about it from there.
        let inline = connection.sync {
            node.receive(body: body, from: 1)
            return node.lastZxid
        }
        #expect(inline == zxid)

        // From elsewhere it is queued: the loop is busy until the check is made.
        let second = FollowerCommitTests.peer(2, members: members, epoch: leader.epoch, currentEpoch: leader.epoch)
        let queuedNode = QuorumNode(peer: second, store: QuorumNodeBurstTests.RecordingStore(QuorumNodeBurstTests.Record()), targetQueue: loop) { _, _ in }
        defer { queuedNode.stop() }
        let queued = connection.sync {
            DispatchQueue.global().sync { queuedNode.receive(body: body, from: 1) }
            return queuedNode.lastZxid
        }
        #expect(queued == .zero)
        #expect(queuedNode.queue.sync { queuedNode.lastZxid } == zxid)
    }
}
