/// Election: Raft's vote in ZooKeeper's terms (see `QuorumPeer`).
extension QuorumPeer {
    mutating func startElection() {
        guard epoch < UInt32(Int32.max) else {
            effects.append(.fault("epoch space exhausted"))
            return
        }
        abortSyncs()
        epochPending = nil
        persistent.acceptedEpoch += 1
        persistent.votedFor = id
        persist()
        state = .candidate(votes: [id])
        setRole(.looking)
        resetElectionDeadline()
        for peer in others {
            send(peer, .voteRequest(epoch: epoch, lastEpoch: logEpoch, lastZxid: log.lastZxid))
        }
        if quorum == 1 { becomeLeader() }
    }

    /// Grants at most one vote per epoch, and only to a log at least as complete as ours: a
    /// committed transaction is on a majority, which every winning majority meets, so the
    /// winner holds it.
    mutating func handleVoteRequest(from candidate: PeerID, lastEpoch: UInt32, lastZxid: Zxid) {
        let complete = (lastEpoch, lastZxid.value) >= (logEpoch, log.lastZxid.value)
        let free = persistent.votedFor == nil || persistent.votedFor == candidate
        var hasLeader = false
        switch state {
        case .leader: hasLeader = true
        case .follower(let follower): hasLeader = follower.leader != nil
        case .candidate: break
        }
        guard complete, free, !hasLeader else {
            send(candidate, .voteReply(epoch: epoch, granted: false))
            return
        }
        if persistent.votedFor != candidate {
            persistent.votedFor = candidate
            persist()
        }
        resetElectionDeadline()
        send(candidate, .voteReply(epoch: epoch, granted: true))
    }

    mutating func handleVoteReply(from voter: PeerID, granted: Bool) {
        guard granted, case .candidate(var votes) = state else { return }
        votes.insert(voter)
        state = .candidate(votes: votes)
        if votes.count >= quorum { becomeLeader() }
    }

    /// Leads this epoch with the whole log as its history; followers ask to be synchronised
    /// when the first heartbeat reaches them.
    mutating func becomeLeader() {
        var leader = LeaderState(historyEnd: log.lastZxid)
        for peer in others { leader.lastHeard[peer] = now }
        leader.lastHeartbeat = now
        leader.since = now
        state = .leader(leader)
        setRole(.leading(established: false))
        epochPending = (epoch: epoch, through: log.lastZxid)
        afterDurable()
        broadcastHeartbeat()
    }
}
