import Testing

@testable import ZooKeeperServer

/// Directed cases of the protocol's rules, each driving `QuorumPeer`s by hand.
@Suite struct QuorumPeerTests {
    static let members: [PeerID] = [1, 2, 3]

    static func entry(_ epoch: UInt32, _ counter: UInt32) -> QuorumEntry {
        QuorumEntry(zxid: Zxid(epoch: epoch, counter: counter), payload: [UInt8(truncatingIfNeeded: epoch), UInt8(truncatingIfNeeded: counter)])
    }

    static func peer(_ id: PeerID, epoch: UInt32, currentEpoch: UInt32, snapshot: QuorumSnapshot? = nil, log: [QuorumEntry]) -> QuorumPeer {
        QuorumPeer(
            id: id, members: members, persistent: QuorumPersistentState(acceptedEpoch: epoch, votedFor: nil, currentEpoch: currentEpoch),
            snapshot: snapshot, log: log, seed: 7)
    }

    /// Ticks until the node asks for pre-votes, then hands it the pre-votes and the votes: it
    /// leads the next epoch.
    static func elect(_ peer: inout QuorumPeer, votes: [PeerID]) {
        while peer.preVotes == nil { _ = peer.tick() }
        for voter in votes { _ = peer.receive(.preVoteReply(epoch: peer.epoch, granted: true), from: voter) }
        for voter in votes { _ = peer.receive(.voteReply(epoch: peer.epoch, granted: true), from: voter) }
    }

    static func messages(_ effects: [QuorumEffect], to target: PeerID) -> [QuorumMessage] {
        effects.compactMap { if case .send(let to, let message) = $0, to == target { message } else { nil } }
    }

    @Test func aVoterThatHoldsANewerLeadersHistoryRefusesALongerButOlderLog() {
        // Node 1 synchronised with the leader of epoch 3 (history ends at 1:2); node 2 holds
        // 2:1 from a leader of epoch 2 that never got a quorum. 2:1 > 1:2, but the history of
        // epoch 3 may be committed and node 2 lacks it (Raft's "figure 8").
        var voter = Self.peer(1, epoch: 3, currentEpoch: 3, log: [Self.entry(1, 1), Self.entry(1, 2)])
        let refused = voter.receive(.voteRequest(epoch: 4, lastEpoch: 2, lastZxid: Zxid(epoch: 2, counter: 1)), from: 2)
        #expect(Self.messages(refused, to: 2) == [.voteReply(epoch: 4, granted: false)])
        // A candidate holding the same history and more is fine; a second candidate in the same
        // epoch gets nothing.
        let granted = voter.receive(.voteRequest(epoch: 4, lastEpoch: 3, lastZxid: Zxid(epoch: 1, counter: 2)), from: 3)
        #expect(Self.messages(granted, to: 3) == [.voteReply(epoch: 4, granted: true)])
        #expect(granted.contains(.persist(QuorumPersistentState(acceptedEpoch: 4, votedFor: 3, currentEpoch: 3))))
        let again = voter.receive(.voteRequest(epoch: 4, lastEpoch: 3, lastZxid: Zxid(epoch: 1, counter: 9)), from: 2)
        #expect(Self.messages(again, to: 2) == [.voteReply(epoch: 4, granted: false)])
    }

    @Test func aDivergedFollowerIsTruncatedUntilItMeetsTheLeadersLogThenDiffed() throws {
        // The leader has 1:1 1:2 3:1; the follower took 2:1 2:2 from a failed leader of epoch 2
        // and lacks 1:2. The leader cuts it to 1:2, which it does not hold: it asks again from
        // 1:1 and gets 1:2 3:1.
        var leader = Self.peer(1, epoch: 3, currentEpoch: 3, log: [Self.entry(1, 1), Self.entry(1, 2), Self.entry(3, 1)])
        var follower = Self.peer(2, epoch: 2, currentEpoch: 2, log: [Self.entry(1, 1), Self.entry(2, 1), Self.entry(2, 2)])
        Self.elect(&leader, votes: [3])
        #expect(leader.role == .leading(established: false))
        let epoch = leader.epoch

        var toLeader = Self.messages(follower.receive(.propose(epoch: epoch, prevZxid: leader.log.lastZxid, entries: [], commitZxid: .zero), from: 1), to: 1)
        #expect(toLeader == [.followerInfo(epoch: epoch, lastZxid: Zxid(epoch: 2, counter: 2))])
        var toFollower = Self.messages(leader.receive(toLeader[0], from: 2), to: 2)
        guard case .sync(_, let trunc) = try #require(toFollower.first) else { Issue.record("no sync"); return }
        #expect(trunc.truncateTo == Zxid(epoch: 1, counter: 2))
        var effects = follower.receive(toFollower[0], from: 1)
        #expect(effects.contains(.truncate(after: Zxid(epoch: 1, counter: 2))))
        #expect(follower.log.lastZxid == Zxid(epoch: 1, counter: 1))
        #expect(follower.durableZxid == Zxid(epoch: 1, counter: 1))
        toLeader = Self.messages(effects, to: 1)
        #expect(toLeader == [.followerInfo(epoch: epoch, lastZxid: Zxid(epoch: 1, counter: 1))])

        toFollower = Self.messages(leader.receive(toLeader[0], from: 2), to: 2)
        guard case .sync(_, let diff) = try #require(toFollower.first) else { Issue.record("no sync"); return }
        #expect(diff.truncateTo == nil && diff.prevZxid == Zxid(epoch: 1, counter: 1))
        #expect(diff.entries == [Self.entry(1, 2), Self.entry(3, 1)])
        effects = follower.receive(toFollower[0], from: 1)
        #expect(follower.log.entries == leader.log.entries)
        // Nothing is acknowledged, and the epoch not recorded, before the entries are durable.
        #expect(Self.messages(effects, to: 1).isEmpty)
        #expect(follower.persistent.currentEpoch == 2)
        let write = try #require(effects.compactMap { if case .append(_, let write) = $0 { write } else { nil } }.first)
        effects = follower.persisted(write: write)
        #expect(follower.persistent.currentEpoch == epoch)
        let ack = Self.messages(effects, to: 1)
        #expect(ack == [.ack(epoch: epoch, zxid: Zxid(epoch: 3, counter: 1))])

        // With the follower's acknowledgement the whole history commits and the leader may write.
        effects = leader.receive(ack[0], from: 2)
        #expect(effects.contains(.commit(leader.log.entries)))
        #expect(leader.role == .leading(established: true))
        let (zxid, _) = leader.propose { _ in [42] }
        #expect(zxid == Zxid(epoch: epoch, counter: 1))
    }

    @Test func aRestartedFollowerOfTheSameEpochIgnoresAStaleTrunc() {
        // Found by the simulation: node 1 acknowledged 5:2 to the leader of epoch 5, restarted,
        // and then a TRUNC the leader had planned long before arrived. Cutting 5:2 would undo
        // an acknowledgement a commit may rest on.
        var follower = Self.peer(2, epoch: 5, currentEpoch: 5, log: [Self.entry(5, 1), Self.entry(5, 2)])
        let stale = SyncPlan(truncateTo: Zxid(epoch: 5, counter: 1), snapshot: nil, prevZxid: Zxid(epoch: 5, counter: 1), entries: [], commitZxid: .zero)
        let effects = follower.receive(.sync(epoch: 5, stale), from: 1)
        #expect(!effects.contains(.truncate(after: Zxid(epoch: 5, counter: 1))))
        #expect(follower.log.lastZxid == Zxid(epoch: 5, counter: 2))
        #expect(Self.messages(effects, to: 1) == [.ack(epoch: 5, zxid: Zxid(epoch: 5, counter: 2))])
    }

    @Test func aFollowerBelowTheLeadersSnapshotGetsTheSnapshot() throws {
        let snapshot = QuorumSnapshot(zxid: Zxid(epoch: 1, counter: 5), data: [1, 2, 3])
        var leader = Self.peer(1, epoch: 1, currentEpoch: 1, snapshot: snapshot, log: [Self.entry(1, 6)])
        var follower = Self.peer(2, epoch: 1, currentEpoch: 1, log: [Self.entry(1, 1)])
        Self.elect(&leader, votes: [3])
        let epoch = leader.epoch
        let info = Self.messages(follower.receive(.propose(epoch: epoch, prevZxid: leader.log.lastZxid, entries: [], commitZxid: .zero), from: 1), to: 1)
        let toFollower = Self.messages(leader.receive(try #require(info.first), from: 2), to: 2)
        let effects = follower.receive(try #require(toFollower.first), from: 1)
        #expect(effects.contains(.installSnapshot(snapshot)))
        #expect(follower.log.baseZxid == snapshot.zxid && follower.log.entries == [Self.entry(1, 6)])
        #expect(follower.commitZxid == snapshot.zxid)
    }

    @Test func aWriteCommitsOnlyOnceAMajorityIncludingTheLeaderHasItOnDisk() throws {
        var leader = Self.peer(1, epoch: 1, currentEpoch: 1, log: [])
        Self.elect(&leader, votes: [2])
        let epoch = leader.epoch
        _ = leader.receive(.ack(epoch: epoch, zxid: .zero), from: 2)
        #expect(leader.role == .leading(established: true))
        let (proposed, effects) = leader.propose { _ in [7] }
        let zxid = try #require(proposed)
        #expect(zxid == Zxid(epoch: epoch, counter: 1))
        // The follower has it on disk, the leader not yet: not committed.
        #expect(!leader.receive(.ack(epoch: epoch, zxid: zxid), from: 2).contains { if case .commit = $0 { true } else { false } })
        let write = try #require(effects.compactMap { if case .append(_, let write) = $0 { write } else { nil } }.first)
        #expect(leader.persisted(write: write).contains(.commit([QuorumEntry(zxid: zxid, payload: [7])])))
    }

    @Test func theLogFindsWhereAFollowerMeetsIt() {
        var log = QuorumLog(snapshot: QuorumSnapshot(zxid: Zxid(epoch: 1, counter: 2), data: []), entries: [Self.entry(1, 1), Self.entry(1, 3), Self.entry(2, 1)])
        #expect(log.entries == [Self.entry(1, 3), Self.entry(2, 1)])
        #expect(log.greatestZxid(atMost: Zxid(epoch: 1, counter: 9)) == Zxid(epoch: 1, counter: 3))
        #expect(log.greatestZxid(atMost: Zxid(epoch: 1, counter: 2)) == Zxid(epoch: 1, counter: 2))
        #expect(log.greatestZxid(atMost: Zxid(epoch: 1, counter: 1)) == nil)
        #expect(log.contains(Zxid(epoch: 1, counter: 2)) && !log.contains(Zxid(epoch: 1, counter: 4)))
        #expect(Array(log.entries(after: Zxid(epoch: 1, counter: 2), through: Zxid(epoch: 1, counter: 3))) == [Self.entry(1, 3)])
        log.truncate(after: Zxid(epoch: 1, counter: 3))
        #expect(log.lastZxid == Zxid(epoch: 1, counter: 3))
        log.compact(to: QuorumSnapshot(zxid: Zxid(epoch: 1, counter: 3), data: []))
        #expect(log.entries.isEmpty && log.lastZxid == Zxid(epoch: 1, counter: 3))
        #expect(Zxid(epoch: 3, counter: 1).value == 0x3_0000_0001 && Zxid(value: 0x3_0000_0001).epoch == 3)
    }

    /// A node that cannot win changes nothing: a follower of a live leader refuses the
    /// pre-vote, and the asker's epoch stays where it was (so it never deposes that leader).
    @Test func aPreVoteIsRefusedByAFollowerOfALeaderAndChangesNoEpoch() {
        var leader = Self.peer(1, epoch: 2, currentEpoch: 2, log: [Self.entry(2, 1)])
        var follower = Self.peer(2, epoch: 2, currentEpoch: 2, log: [Self.entry(2, 1)])
        var restarted = Self.peer(3, epoch: 2, currentEpoch: 2, log: [Self.entry(2, 1)])
        Self.elect(&leader, votes: [2])
        let epoch = leader.epoch
        _ = follower.receive(.propose(epoch: epoch, prevZxid: leader.log.lastZxid, entries: [], commitZxid: .zero), from: 1)
        #expect(follower.hasLeader)
        // Node 3 restarted and has not heard the leader: it asks, and is refused by both.
        var asked = restarted.tick()
        while Self.messages(asked, to: 2).isEmpty { asked = restarted.tick() }
        #expect(Self.messages(asked, to: 2) == [.preVoteRequest(lastEpoch: 2, lastZxid: Zxid(epoch: 2, counter: 1))])
        let fromFollower = Self.messages(follower.receive(Self.messages(asked, to: 2)[0], from: 3), to: 3)
        let fromLeader = Self.messages(leader.receive(Self.messages(asked, to: 1)[0], from: 3), to: 3)
        #expect(fromFollower == [.preVoteReply(epoch: epoch, granted: false)])
        #expect(fromLeader == [.preVoteReply(epoch: epoch, granted: false)])
        for (voter, reply) in [(PeerID(2), fromFollower[0]), (1, fromLeader[0])] { _ = restarted.receive(reply, from: voter) }
        #expect(restarted.epoch == 2, "no election without a majority of pre-votes")
        #expect(leader.role == .leading(established: false) && follower.hasLeader)
    }

    /// A follower serves only once it has caught up with its leader: not on the leader's first
    /// heartbeat while its log (restarted from disk) is behind, but after the DIFF.
    @Test func aRestartedFollowerServesOnlyAfterItCaughtUp() throws {
        let log = [Self.entry(2, 1), Self.entry(2, 2), Self.entry(2, 3)]
        var follower = Self.peer(2, epoch: 2, currentEpoch: 2, log: Array(log.prefix(1)))
        let behind = follower.receive(.propose(epoch: 2, prevZxid: Zxid(epoch: 2, counter: 3), entries: [], commitZxid: Zxid(epoch: 2, counter: 3)), from: 1)
        #expect(Self.messages(behind, to: 1) == [.followerInfo(epoch: 2, lastZxid: Zxid(epoch: 2, counter: 1))])
        #expect(follower.role == .looking, "behind the leader: not serving yet")
        let plan = SyncPlan(truncateTo: nil, snapshot: nil, prevZxid: Zxid(epoch: 2, counter: 1), entries: Array(log.dropFirst()), commitZxid: Zxid(epoch: 2, counter: 3))
        let synced = follower.receive(.sync(epoch: 2, plan), from: 1)
        #expect(follower.role == .following(leader: 1))
        // Everything committed is handed up before the role change that lets clients in.
        let commitAt = try #require(synced.firstIndex { if case .commit = $0 { true } else { false } })
        let servingAt = try #require(synced.firstIndex(of: .roleChanged(.following(leader: 1), epoch: 2)))
        #expect(commitAt < servingAt)
    }

    /// A follower whose connection from the leader closes stops following at once and stands
    /// within `retryTicks`, far sooner than the `electionTicks` of silence; the other follower,
    /// which lost the leader too, grants it, and the election goes above every voter's epoch.
    @Test func losingTheLeadersConnectionStartsAnElectionWithinRetryTicks() {
        let timing = QuorumTiming(heartbeatTicks: 1, electionTicks: 100...200, retryTicks: 2...4, leaseTicks: 80)
        func member(_ id: PeerID, epoch: UInt32) -> QuorumPeer {
            QuorumPeer(
                id: id, members: Self.members, timing: timing,
                persistent: QuorumPersistentState(acceptedEpoch: epoch, votedFor: nil, currentEpoch: 2), snapshot: nil,
                log: [Self.entry(2, 1)], seed: 11)
        }
        var follower = member(2, epoch: 2)
        var other = member(3, epoch: 5)
        _ = follower.receive(.propose(epoch: 2, prevZxid: Zxid(epoch: 2, counter: 1), entries: [], commitZxid: .zero), from: 1)
        #expect(follower.role == .following(leader: 1))
        #expect(follower.peerLost(3).isEmpty, "a connection from a peer that does not lead changes nothing")
        #expect(follower.role == .following(leader: 1))
        let lost = follower.peerLost(1)
        #expect(lost.contains(.roleChanged(.looking, epoch: 2)))
        var ticks = 0
        var asked: [QuorumMessage] = []
        while asked.isEmpty && ticks < 10 {
            ticks += 1
            asked = Self.messages(follower.tick(), to: 3)
        }
        #expect(ticks <= 4 && asked == [.preVoteRequest(lastEpoch: 2, lastZxid: Zxid(epoch: 2, counter: 1))])
        let reply = Self.messages(other.receive(asked[0], from: 2), to: 2)
        #expect(reply == [.preVoteReply(epoch: 5, granted: true)])
        let standing = follower.receive(reply[0], from: 3)
        #expect(follower.epoch == 6, "stands above the voter's epoch 5")
        #expect(Self.messages(standing, to: 3) == [.voteRequest(epoch: 6, lastEpoch: 2, lastZxid: Zxid(epoch: 2, counter: 1))])
        let vote = Self.messages(other.receive(Self.messages(standing, to: 3)[0], from: 2), to: 2)
        #expect(vote == [.voteReply(epoch: 6, granted: true)])
        _ = follower.receive(vote[0], from: 3)
        #expect(follower.role == .leading(established: false))
    }

    /// Found by the simulation: a follower that loses its leader's connection stays synced in
    /// the epoch, so a late TRUNC of that epoch cannot cut what it has committed since.
    @Test func losingTheLeaderKeepsTheFollowerSyncedAgainstALateTrunc() {
        // Synchronised by a DIFF in epoch 6 and committed 6:1, but the epoch is not yet recorded
        // (its log write is not durable yet).
        var follower = Self.peer(2, epoch: 6, currentEpoch: 5, log: [Self.entry(5, 1)])
        let diff = SyncPlan(truncateTo: nil, snapshot: nil, prevZxid: Zxid(epoch: 5, counter: 1), entries: [Self.entry(6, 1)], commitZxid: Zxid(epoch: 6, counter: 1))
        _ = follower.receive(.sync(epoch: 6, diff), from: 1)
        #expect(follower.commitZxid == Zxid(epoch: 6, counter: 1) && follower.persistent.currentEpoch == 5)
        _ = follower.peerLost(1)
        let late = SyncPlan(truncateTo: Zxid(epoch: 5, counter: 1), snapshot: nil, prevZxid: Zxid(epoch: 5, counter: 1), entries: [], commitZxid: .zero)
        let effects = follower.receive(.sync(epoch: 6, late), from: 1)
        #expect(!effects.contains { if case .fault = $0 { true } else if case .truncate = $0 { true } else { false } })
        #expect(follower.log.lastZxid == Zxid(epoch: 6, counter: 1))
    }

    /// A node in a newer epoch tells a stale leader so, which steps down: otherwise neither
    /// could make progress (the node ignores the leader, and its pre-votes are refused by the
    /// leader's followers).
    @Test func aStaleLeaderIsToldTheNewerEpochAndStepsDown() {
        var leader = Self.peer(1, epoch: 10, currentEpoch: 10, log: [Self.entry(10, 1)])
        Self.elect(&leader, votes: [3])
        let stale = leader.epoch
        var ahead = Self.peer(2, epoch: stale + 1, currentEpoch: 10, log: [Self.entry(10, 1)])
        let reply = Self.messages(ahead.receive(.propose(epoch: stale, prevZxid: Zxid(epoch: 10, counter: 1), entries: [], commitZxid: .zero), from: 1), to: 1)
        #expect(reply == [.voteReply(epoch: stale + 1, granted: false)])
        _ = leader.receive(reply[0], from: 2)
        #expect(leader.role == .looking && leader.epoch == stale + 1)
    }

    /// `initTicks` (ZooKeeper's initLimit): a new leader keeps its claim while followers are
    /// silent taking the sync for longer than the lease, but gives up if no quorum holds its
    /// history by then.
    @Test func aNewLeaderHasInitTicksToSynchroniseAQuorumThenStepsDown() {
        let timing = QuorumTiming(heartbeatTicks: 1, electionTicks: 10...20, leaseTicks: 8, initTicks: 30)
        var leader = QuorumPeer(
            id: 1, members: Self.members, timing: timing, persistent: QuorumPersistentState(), snapshot: nil, log: [], seed: 7)
        Self.elect(&leader, votes: [2])
        #expect(leader.role == .leading(established: false))
        for _ in 0..<29 { _ = leader.tick() }
        #expect(leader.role == .leading(established: false), "past the lease, within initTicks")
        _ = leader.tick()
        #expect(leader.role == .looking)
    }
}
