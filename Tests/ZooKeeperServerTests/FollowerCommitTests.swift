import Testing

@testable import ZooKeeperServer

/// A follower of a three-member ensemble commits what it and the leader hold durably, without
/// waiting for the leader's commit point (`QuorumPeer.followerCommit`); in larger ensembles,
/// and before either side has recorded the epoch, it waits as before.
@Suite struct FollowerCommitTests {
    static func peer(_ id: PeerID, members: [PeerID], epoch: UInt32, currentEpoch: UInt32, log: [QuorumEntry] = []) -> QuorumPeer {
        QuorumPeer(
            id: id, members: members, persistent: QuorumPersistentState(acceptedEpoch: epoch, votedFor: nil, currentEpoch: currentEpoch),
            snapshot: nil, log: log, seed: 7)
    }

    /// An established leader of an empty log in `members` (all of them voted).
    static func leader(of members: [PeerID]) -> QuorumPeer {
        var leader = peer(1, members: members, epoch: 1, currentEpoch: 1)
        QuorumPeerTests.elect(&leader, votes: Array(members.dropFirst()))
        for other in members.dropFirst() { _ = leader.receive(.ack(epoch: leader.epoch, zxid: .zero), from: other) }
        return leader
    }

    /// The leader proposes one write (payload [7]): its zxid, the leader's effects and the
    /// proposal they send member 2.
    static func proposeOne(_ leader: inout QuorumPeer) throws -> (zxid: Zxid, effects: [QuorumEffect], proposal: QuorumMessage) {
        let (proposed, effects) = leader.propose { _ in [7] }
        return (try #require(proposed), effects, try #require(QuorumPeerTests.messages(effects, to: 2).first))
    }

    static func write(of effects: [QuorumEffect]) -> UInt64? {
        effects.compactMap { if case .append(_, let write) = $0 { write } else { nil } }.first
    }

    static func commits(_ effects: [QuorumEffect]) -> [QuorumEntry] {
        effects.flatMap { effect -> [QuorumEntry] in
            guard case .commit(let entries) = effect else { return [] }
            return entries
        }
    }

    @Test func aFollowerOfThreeCommitsOnceItAndTheLeaderHoldTheWriteDurably() throws {
        let members: [PeerID] = [1, 2, 3]
        var leader = Self.leader(of: members)
        #expect(leader.role == .leading(established: true))
        var follower = Self.peer(2, members: members, epoch: leader.epoch, currentEpoch: leader.epoch)
        let (zxid, leaderEffects, proposal) = try Self.proposeOne(&leader)

        // The follower holds it durably, the leader has not said it does: not committed.
        let appended = follower.receive(proposal, from: 1)
        let ack = follower.persisted(write: try #require(Self.write(of: appended)))
        #expect(Self.commits(appended + ack).isEmpty)
        let acknowledgement = QuorumPeerTests.messages(ack, to: 1)
        #expect(acknowledgement == [.ack(epoch: leader.epoch, zxid: zxid)])

        // The leader's fsync: it tells both followers how far it holds its log, before it has
        // heard any acknowledgement (so its commit point is still below the write).
        let synced = leader.persisted(write: try #require(Self.write(of: leaderEffects)))
        #expect(Self.commits(synced).isEmpty)
        let heartbeat = QuorumMessage.propose(epoch: leader.epoch, prevZxid: zxid, entries: [], commitZxid: .zero, durableZxid: zxid)
        #expect(QuorumPeerTests.messages(synced, to: 2) == [heartbeat])
        #expect(QuorumPeerTests.messages(synced, to: 3) == [heartbeat])

        // That is enough for the follower: it and the leader are a majority.
        #expect(Self.commits(follower.receive(heartbeat, from: 1)) == [QuorumEntry(zxid: zxid, payload: [7])])
        #expect(follower.commitZxid == zxid)

        // The leader commits on the acknowledgement. The follower that acknowledged needs no
        // word (it has the durable point); the other has not acknowledged, so its own fsync
        // may still be running: it hears the commit point now.
        let committed = leader.receive(try #require(acknowledgement.first), from: 2)
        #expect(Self.commits(committed) == [QuorumEntry(zxid: zxid, payload: [7])])
        #expect(QuorumPeerTests.messages(committed, to: 2).isEmpty)
        let word = QuorumMessage.propose(epoch: leader.epoch, prevZxid: zxid, entries: [], commitZxid: zxid, durableZxid: zxid)
        #expect(QuorumPeerTests.messages(committed, to: 3) == [word])

        // The other follower heard the durable point first, which alone is not enough; the
        // commit point is: a majority holds the write, so it applies it before its own fsync
        // (as ZooKeeper's follower applies a COMMIT), and the fsync commits nothing more.
        var other = Self.peer(3, members: members, epoch: leader.epoch, currentEpoch: leader.epoch)
        let taken = other.receive(proposal, from: 1)
        #expect(Self.commits(other.receive(heartbeat, from: 1)).isEmpty)
        #expect(Self.commits(other.receive(word, from: 1)) == [QuorumEntry(zxid: zxid, payload: [7])])
        #expect(Self.commits(other.persisted(write: try #require(Self.write(of: taken)))).isEmpty)
        #expect(other.commitZxid == zxid)

        // When both followers acknowledge before the leader's own fsync, that fsync commits,
        // and each follower hears one message: the durable and commit points together.
        var again = Self.leader(of: members)
        let (second, secondEffects) = again.propose { _ in [8] }
        let secondZxid = try #require(second)
        #expect(Self.commits(again.receive(.ack(epoch: again.epoch, zxid: secondZxid), from: 3)).isEmpty)
        #expect(Self.commits(again.receive(.ack(epoch: again.epoch, zxid: secondZxid), from: 2)).isEmpty)
        let durable = again.persisted(write: try #require(Self.write(of: secondEffects)))
        #expect(Self.commits(durable) == [QuorumEntry(zxid: secondZxid, payload: [8])])
        let both = QuorumMessage.propose(epoch: again.epoch, prevZxid: secondZxid, entries: [], commitZxid: secondZxid, durableZxid: secondZxid)
        #expect(QuorumPeerTests.messages(durable, to: 2) == [both] && QuorumPeerTests.messages(durable, to: 3) == [both])
    }

    @Test func aFollowerAcknowledgesEachDurablePointOnceAndOtherwiseOnceATick() throws {
        let members: [PeerID] = [1, 2, 3]
        var leader = Self.leader(of: members)
        var follower = Self.peer(2, members: members, epoch: leader.epoch, currentEpoch: leader.epoch)
        let empty = QuorumMessage.propose(epoch: leader.epoch, prevZxid: .zero, entries: [], commitZxid: .zero, durableZxid: .zero)
        let first = QuorumPeerTests.messages(follower.receive(empty, from: 1), to: 1)
        #expect(first == [.ack(epoch: leader.epoch, zxid: .zero)])

        // In the same tick: the proposal and the words around the fsync get no answer; the
        // fsync gets one, with the new durable point.
        let (proposed, leaderEffects) = leader.propose { _ in [7] }
        let zxid = try #require(proposed)
        let appended = follower.receive(try #require(QuorumPeerTests.messages(leaderEffects, to: 2).first), from: 1)
        #expect(QuorumPeerTests.messages(appended, to: 1).isEmpty)
        let durable = follower.persisted(write: try #require(Self.write(of: appended)))
        #expect(QuorumPeerTests.messages(durable, to: 1) == [.ack(epoch: leader.epoch, zxid: zxid)])
        let word = QuorumMessage.propose(epoch: leader.epoch, prevZxid: zxid, entries: [], commitZxid: zxid, durableZxid: zxid)
        #expect(QuorumPeerTests.messages(follower.receive(word, from: 1), to: 1).isEmpty)

        // The next tick's heartbeat is answered (the leader's lease, or a lost acknowledgement).
        _ = follower.tick()
        #expect(QuorumPeerTests.messages(follower.receive(word, from: 1), to: 1) == [.ack(epoch: leader.epoch, zxid: zxid)])
        #expect(QuorumPeerTests.messages(follower.receive(word, from: 1), to: 1).isEmpty)
    }

    @Test func aFollowerOfFiveWaitsForTheLeadersCommitPoint() throws {
        let members: [PeerID] = [1, 2, 3, 4, 5]
        var leader = Self.leader(of: members)
        var follower = Self.peer(2, members: members, epoch: leader.epoch, currentEpoch: leader.epoch)
        let (proposed, leaderEffects) = leader.propose { _ in [7] }
        let zxid = try #require(proposed)
        // The leader and one follower are no majority of five: the leader's fsync tells nobody.
        let synced = leader.persisted(write: try #require(Self.write(of: leaderEffects)))
        #expect(members.dropFirst().allSatisfy { QuorumPeerTests.messages(synced, to: $0).isEmpty })

        // Even a durable point that says so does not let it commit by itself.
        let appended = follower.receive(try #require(QuorumPeerTests.messages(leaderEffects, to: 2).first), from: 1)
        _ = follower.persisted(write: try #require(Self.write(of: appended)))
        let heartbeat = QuorumMessage.propose(epoch: leader.epoch, prevZxid: zxid, entries: [], commitZxid: .zero, durableZxid: zxid)
        #expect(Self.commits(follower.receive(heartbeat, from: 1)).isEmpty)
        let committed = QuorumMessage.propose(epoch: leader.epoch, prevZxid: zxid, entries: [], commitZxid: zxid, durableZxid: zxid)
        #expect(Self.commits(follower.receive(committed, from: 1)) == [QuorumEntry(zxid: zxid, payload: [7])])
    }

    @Test func onlyMembersThatRecordedTheEpochCount() throws {
        let members: [PeerID] = [1, 2, 3]
        let old = (1...5).map { QuorumEntry(zxid: Zxid(epoch: 1, counter: $0), payload: [UInt8($0)]) }
        let next = QuorumEntry(zxid: Zxid(epoch: 1, counter: 6), payload: [6])
        // The follower holds 1:1…1:5 durably but has not recorded epoch 3 yet: its sync from
        // the leader of epoch 3 (1:6 after them) is still being written. Until it records the
        // epoch, its durable entries do not count, even with the leader's durable point:
        // holding only epoch 1, it would still vote for a candidate of epoch 2 that lacks 1:5,
        // which could then cut it (Raft's "figure 8"; the leader counts no acknowledgement
        // before that either).
        var syncing = Self.peer(2, members: members, epoch: 3, currentEpoch: 1, log: old)
        let plan = SyncPlan(truncateTo: nil, snapshot: nil, prevZxid: Zxid(epoch: 1, counter: 5), entries: [next], commitZxid: .zero)
        let taken = syncing.receive(.sync(epoch: 3, plan), from: 1)
        let heartbeat = QuorumMessage.propose(epoch: 3, prevZxid: next.zxid, entries: [], commitZxid: .zero, durableZxid: next.zxid)
        #expect(Self.commits(syncing.receive(heartbeat, from: 1)).isEmpty)
        #expect(syncing.commitZxid == .zero)
        // Once the sync is durable it records the epoch, and then it counts.
        let durable = syncing.persisted(write: try #require(Self.write(of: taken)))
        #expect(syncing.persistent.currentEpoch == 3)
        #expect(Self.commits(durable) == old + [next])

        // A member that has not recorded its epoch (a leader whose history is not durable
        // yet) announces nothing durable; once it has, its whole durable log.
        let held = QuorumEntry(zxid: Zxid(epoch: 1, counter: 1), payload: [1])
        #expect(Self.peer(1, members: members, epoch: 2, currentEpoch: 1, log: [held]).durablePointToAnnounce == .zero)
        #expect(Self.peer(1, members: members, epoch: 2, currentEpoch: 2, log: [held]).durablePointToAnnounce == held.zxid)
    }

    /// When a follower's own fsync is what lets it commit (the leader's durable point came
    /// first), the commit comes before the acknowledgement in its effects, so the replies it
    /// releases are handed to their connections before the acknowledgement to the leader.
    @Test func aFollowerCommitsBeforeItAcknowledgesTheSameFsync() throws {
        let members: [PeerID] = [1, 2, 3]
        var leader = Self.leader(of: members)
        var follower = Self.peer(2, members: members, epoch: leader.epoch, currentEpoch: leader.epoch)
        let (zxid, leaderEffects, proposal) = try Self.proposeOne(&leader)
        let appended = follower.receive(proposal, from: 1)
        let synced = leader.persisted(write: try #require(Self.write(of: leaderEffects)))
        let heartbeat = try #require(QuorumPeerTests.messages(synced, to: 2).first)
        #expect(Self.commits(follower.receive(heartbeat, from: 1)).isEmpty)

        let effects = follower.persisted(write: try #require(Self.write(of: appended)))
        let commit = effects.firstIndex { if case .commit = $0 { true } else { false } }
        let ack = effects.firstIndex { if case .send(to: 1, .ack(_, zxid)) = $0 { true } else { false } }
        #expect(commit != nil && ack != nil)
        #expect(try #require(commit) < (try #require(ack)), "the acknowledgement came first: \(effects)")
    }
}
