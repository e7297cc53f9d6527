import Testing

@testable import ZooKeeperServer

/// The node's outbox merges only what a receiver treats the same as the sequence.
@Suite struct OutboxTests {
    static func entry(_ counter: UInt32) -> QuorumEntry {
        QuorumEntry(zxid: Zxid(epoch: 3, counter: counter), payload: [UInt8(counter)])
    }

    static func zxid(_ counter: UInt32) -> Zxid { Zxid(epoch: 3, counter: counter) }

    @Test func consecutiveProposalsAndHeartbeatsToOnePeerBecomeOne() {
        var outbox = Outbox()
        outbox.add(.propose(epoch: 3, prevZxid: Self.zxid(4), entries: [Self.entry(5)], commitZxid: Self.zxid(4)), to: 2)
        outbox.add(.propose(epoch: 3, prevZxid: Self.zxid(4), entries: [Self.entry(5)], commitZxid: Self.zxid(4)), to: 3)
        outbox.add(.propose(epoch: 3, prevZxid: Self.zxid(5), entries: [Self.entry(6)], commitZxid: Self.zxid(4)), to: 2)
        // A commit heartbeat (no entries) after them, then another proposal.
        outbox.add(.propose(epoch: 3, prevZxid: Self.zxid(6), entries: [], commitZxid: Self.zxid(6)), to: 2)
        outbox.add(.propose(epoch: 3, prevZxid: Self.zxid(6), entries: [Self.entry(7)], commitZxid: Self.zxid(6)), to: 2)
        let sent = outbox.take()
        #expect(sent.count == 2)
        #expect(sent[0].to == 2)
        #expect(sent[0].message == .propose(epoch: 3, prevZxid: Self.zxid(4), entries: [Self.entry(5), Self.entry(6), Self.entry(7)], commitZxid: Self.zxid(6)))
        #expect(sent[1].to == 3)
        #expect(outbox.isEmpty)
    }

    @Test func aGapAnEpochChangeOrAnotherMessageKeepsProposalsApart() {
        var outbox = Outbox()
        let first = QuorumMessage.propose(epoch: 3, prevZxid: Self.zxid(4), entries: [Self.entry(5)], commitZxid: Self.zxid(4))
        let gap = QuorumMessage.propose(epoch: 3, prevZxid: Self.zxid(6), entries: [Self.entry(7)], commitZxid: Self.zxid(4))
        let newEpoch = QuorumMessage.propose(epoch: 4, prevZxid: Self.zxid(7), entries: [], commitZxid: Self.zxid(7))
        let reply = QuorumMessage.syncReply(epoch: 4, token: 9, zxid: Self.zxid(7))
        let after = QuorumMessage.propose(epoch: 4, prevZxid: Self.zxid(7), entries: [], commitZxid: Self.zxid(7))
        for message in [first, gap, newEpoch, reply, after] { outbox.add(message, to: 2) }
        #expect(outbox.take().map(\.message) == [first, gap, newEpoch, reply, after])
    }

    @Test func acknowledgementsOfOneEpochKeepTheLatest() {
        var outbox = Outbox()
        outbox.add(.ack(epoch: 3, zxid: Self.zxid(5)), to: 1)
        outbox.add(.ack(epoch: 3, zxid: Self.zxid(9)), to: 1)
        outbox.add(.ack(epoch: 4, zxid: Self.zxid(9)), to: 1)
        #expect(outbox.take().map(\.message) == [.ack(epoch: 3, zxid: Self.zxid(9)), .ack(epoch: 4, zxid: Self.zxid(9))])
    }

    /// A follower handed the merged proposal ends where it would after each one in turn.
    @Test func aFollowerTakesTheMergedProposalAsTheSequence() {
        func follower() -> QuorumPeer {
            var peer = QuorumPeer(
                id: 2, members: [1, 2, 3], persistent: QuorumPersistentState(acceptedEpoch: 3, votedFor: nil, currentEpoch: 3),
                snapshot: nil, log: [Self.entry(1)], seed: 5)
            _ = peer.receive(.propose(epoch: 3, prevZxid: Self.zxid(1), entries: [], commitZxid: Self.zxid(1)), from: 1)
            return peer
        }
        let parts: [QuorumMessage] = [
            .propose(epoch: 3, prevZxid: Self.zxid(1), entries: [Self.entry(2)], commitZxid: Self.zxid(1)),
            .propose(epoch: 3, prevZxid: Self.zxid(2), entries: [Self.entry(3), Self.entry(4)], commitZxid: Self.zxid(2)),
            .propose(epoch: 3, prevZxid: Self.zxid(4), entries: [], commitZxid: Self.zxid(4)),
        ]
        var outbox = Outbox()
        for part in parts { outbox.add(part, to: 2) }
        let merged = outbox.take()
        #expect(merged.count == 1)
        var oneByOne = follower()
        var committedOneByOne: [QuorumEntry] = []
        for part in parts {
            for case .commit(let entries) in oneByOne.receive(part, from: 1) { committedOneByOne += entries }
        }
        var together = follower()
        var committedTogether: [QuorumEntry] = []
        for case .commit(let entries) in together.receive(merged[0].message, from: 1) { committedTogether += entries }
        #expect(together.log.entries == oneByOne.log.entries)
        #expect(together.commitZxid == oneByOne.commitZxid && together.commitZxid == Self.zxid(4))
        #expect(committedTogether == committedOneByOne)
    }
}
