/// Election: Raft's vote in ZooKeeper's terms (see `QuorumPeer`).
extension QuorumPeer {
    /// The election timer fired: the node gives up any leader it had and asks whether it
    /// could win, without changing its epoch (so a node that cannot win disturbs nobody).
    mutating func startPreVote() {
        loseLeader(keepTimer: true)
        guard quorum > 1 else { return startElection(above: epoch) }
        preVotes = (voters: [id], highestEpoch: epoch)
        resetElectionDeadline()
        for peer in others {
            send(peer, .preVoteRequest(lastEpoch: logEpoch, lastZxid: log.lastZxid))
        }
    }

    /// Would this node vote for the asker if it stood now? Changes nothing here.
    mutating func handlePreVoteRequest(from candidate: PeerID, lastEpoch: UInt32, lastZxid: Zxid) {
        send(candidate, .preVoteReply(epoch: epoch, granted: candidateIsComplete(lastEpoch: lastEpoch, lastZxid: lastZxid) && !hasLeader))
    }

    mutating func handlePreVoteReply(from voter: PeerID, epoch voterEpoch: UInt32, granted: Bool) {
        guard granted, !hasLeader, var round = preVotes else { return }
        round.voters.insert(voter)
        round.highestEpoch = max(round.highestEpoch, voterEpoch)
        preVotes = round
        if round.voters.count >= quorum { startElection(above: round.highestEpoch) }
    }

    /// Whether a candidate's log, ending at `lastZxid` with `lastEpoch`, is at least as complete
    /// as this node's (Raft's "at least as up-to-date").
    func candidateIsComplete(lastEpoch: UInt32, lastZxid: Zxid) -> Bool {
        (lastEpoch, lastZxid.value) >= (logEpoch, log.lastZxid.value)
    }

    /// Whether this node leads or follows a leader it hears from: it then grants no votes.
    var hasLeader: Bool {
        switch state {
        case .leader: true
        case .follower(let follower): follower.leader != nil
        case .candidate: false
        }
    }

    /// Stands in the first epoch above `epoch` and this node's own.
    mutating func startElection(above highest: UInt32) {
        preVotes = nil
        let next = max(highest, epoch)
        guard next < UInt32(Int32.max) else {
            effects.append(.fault("epoch space exhausted"))
            return
        }
        abortSyncs()
        epochPending = nil
        persistent.acceptedEpoch = next + 1
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
        let complete = candidateIsComplete(lastEpoch: lastEpoch, lastZxid: lastZxid)
        let free = persistent.votedFor == nil || persistent.votedFor == candidate
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
