/// What the host feeds a node: each input returns the effects to carry out, in order.
extension QuorumPeer {
    /// One timer tick.
    mutating func tick() -> [QuorumEffect] {
        effects = []
        now += 1
        switch state {
        case .leader: leaderTick()
        case .follower, .candidate:
            if now >= electionDeadline {
                startPreVote()
            } else {
                resendSyncRequests()
            }
        }
        return takeEffects()
    }

    mutating func receive(_ message: QuorumMessage, from peer: PeerID) -> [QuorumEffect] {
        effects = []
        guard peer != id, members.contains(peer) else { return [] }
        switch message {
        case .preVoteRequest(let lastEpoch, let lastZxid):
            handlePreVoteRequest(from: peer, lastEpoch: lastEpoch, lastZxid: lastZxid)
            return takeEffects()
        case .preVoteReply(let voterEpoch, let granted):
            handlePreVoteReply(from: peer, epoch: voterEpoch, granted: granted)
            return takeEffects()
        default: break
        }
        guard let messageEpoch = message.epoch else {
            if case .forward(let payload) = message, case .leader = state {
                effects.append(.forwarded(from: peer, payload: payload))
            }
            return takeEffects()
        }
        if messageEpoch > epoch { adopt(epoch: messageEpoch) }
        if messageEpoch < epoch {
            // Tell a stale candidate the epoch, so it stops asking, and a stale leader, so it
            // steps down: this node cannot follow it, and without a pre-vote granted by nodes
            // that follow it, this node could never stand either (Raft's leader learns the
            // newer term from its follower's reply the same way). The rest is just old.
            switch message {
            case .voteRequest, .propose, .sync: send(peer, .voteReply(epoch: epoch, granted: false))
            default: break
            }
            return takeEffects()
        }
        switch message {
        case .voteRequest(_, let lastEpoch, let lastZxid): handleVoteRequest(from: peer, lastEpoch: lastEpoch, lastZxid: lastZxid)
        case .voteReply(_, let granted): handleVoteReply(from: peer, granted: granted)
        case .followerInfo(_, let lastZxid): leaderHandleFollowerInfo(from: peer, lastZxid: lastZxid)
        case .ack(_, let zxid): leaderHandleAck(from: peer, zxid: zxid)
        case .syncRequest(_, let token): leaderHandleSyncRequest(from: peer, token: token)
        case .sync(_, let plan): followerHandleSync(from: peer, plan)
        case .propose(_, let prevZxid, let entries, let commit, let durable):
            followerHandlePropose(from: peer, prevZxid: prevZxid, entries: entries, commit: commit, leaderDurable: durable)
        case .syncReply(_, let token, let zxid): followerHandleSyncReply(from: peer, token: token, zxid: zxid)
        case .forward, .preVoteRequest, .preVoteReply: break
        }
        return takeEffects()
    }

    /// The host saw its connection from `peer` close. A follower whose leader it was stops
    /// following and stands soon (ZooKeeper's follower goes LOOKING when its leader's socket
    /// closes); if the leader is alive after all, its next heartbeat takes the node back, and
    /// the pre-vote keeps the node from deposing it meanwhile.
    mutating func peerLost(_ peer: PeerID) -> [QuorumEffect] {
        effects = []
        if case .follower(let follower) = state, follower.leader == peer {
            loseLeader(keepTimer: false)
        }
        return takeEffects()
    }

    /// The host made every write up to and including `write` durable.
    mutating func persisted(write: UInt64) -> [QuorumEffect] {
        effects = []
        var reached: Zxid?
        while let first = pendingWrites.first, first.write <= write {
            reached = max(reached ?? first.zxid, first.zxid)
            pendingWrites.removeFirst()
        }
        if let reached, reached > durableZxid { durableZxid = reached }
        afterDurable()
        return takeEffects()
    }

    /// The host wrote `snapshot` (of committed state) durably: entries it covers may go.
    mutating func compact(to snapshot: QuorumSnapshot) -> [QuorumEffect] {
        effects = []
        guard snapshot.zxid <= commitZxid, snapshot.zxid > log.baseZxid, log.contains(snapshot.zxid) else { return [] }
        log.compact(to: snapshot)
        if snapshot.zxid > durableZxid { durableZxid = snapshot.zxid }
        afterDurable()
        return takeEffects()
    }

    /// The zxid the next `propose` will get, or nil when this node may not propose (it is not
    /// an established leader, or its counter is spent).
    var nextProposalZxid: Zxid? {
        guard case .leader(let leader) = state, leader.established else { return nil }
        let last = log.lastZxid
        if last.epoch != epoch { return Zxid(epoch: epoch, counter: 1) }
        return last.counter == UInt32.max ? nil : Zxid(epoch: epoch, counter: last.counter + 1)
    }

    /// Leader only, once established: appends a transaction whose payload `make` encodes with
    /// the zxid it gets. Returns nil (and no effects) anywhere else: the host forwards the
    /// request to the leader instead, or refuses it while there is none.
    mutating func propose(_ make: (Zxid) -> [UInt8]) -> (zxid: Zxid?, effects: [QuorumEffect]) {
        effects = []
        guard case .leader(let leader) = state, leader.established else { return (nil, []) }
        let last = log.lastZxid
        if last.epoch == epoch && last.counter == UInt32.max {
            // The counter is spent: a new epoch starts it again (as ZooKeeper does).
            stepDown()
            return (nil, takeEffects())
        }
        let zxid = Zxid(epoch: epoch, counter: last.epoch == epoch ? last.counter + 1 : 1)
        let entry = QuorumEntry(zxid: zxid, payload: make(zxid))
        appendToLog([entry])
        for peer in others {
            send(peer, .propose(epoch: epoch, prevZxid: last, entries: [entry], commitZxid: commitZxid, durableZxid: durablePointToAnnounce))
        }
        leaderMaybeCommit()
        return (zxid, takeEffects())
    }

    /// A client's request that this node cannot decide: to the leader. False when there is
    /// no leader to send it to.
    mutating func forward(_ payload: [UInt8]) -> (sent: Bool, effects: [QuorumEffect]) {
        effects = []
        switch state {
        case .leader:
            return (true, [.forwarded(from: id, payload: payload)])
        case .follower(let follower):
            guard let leader = follower.leader else { return (false, []) }
            send(leader, .forward(payload: payload))
            return (true, takeEffects())
        case .candidate:
            return (false, [])
        }
    }

    /// A client's `sync`: completes (`syncCompleted`) once this node has applied everything the
    /// leader had proposed when it saw the request, or is aborted with the leader.
    mutating func requestSync(token: UInt64) -> [QuorumEffect] {
        effects = []
        switch state {
        case .leader(var leader):
            if commitZxid >= log.lastZxid {
                effects.append(.syncCompleted(token: token))
            } else {
                leader.syncs.append((from: id, token: token, target: log.lastZxid))
                state = .leader(leader)
            }
        case .follower(var follower):
            guard let leaderID = follower.leader else {
                effects.append(.syncAborted(tokens: [token]))
                break
            }
            follower.syncs.append((token: token, target: nil))
            state = .follower(follower)
            send(leaderID, .syncRequest(epoch: epoch, token: token))
        case .candidate:
            effects.append(.syncAborted(tokens: [token]))
        }
        return takeEffects()
    }
}
