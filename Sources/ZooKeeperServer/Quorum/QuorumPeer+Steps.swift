/// Steps every role uses: effects, the log's durability, commits and role changes.
extension QuorumPeer {
    mutating func takeEffects() -> [QuorumEffect] {
        defer { effects = [] }
        return effects
    }

    mutating func send(_ peer: PeerID, _ message: QuorumMessage) {
        effects.append(.send(to: peer, message))
    }

    mutating func persist() {
        effects.append(.persist(persistent))
    }

    mutating func setRole(_ newRole: QuorumRole) {
        guard newRole != role else { return }
        role = newRole
        effects.append(.roleChanged(newRole, epoch: epoch))
    }

    /// A follower with a leader waits `electionTicks` of silence; a node without one stands
    /// again after `retryTicks`.
    mutating func resetElectionDeadline() {
        let range = hasLeader ? timing.electionTicks : timing.retryTicks
        electionDeadline = now + Int.random(in: range, using: &random)
    }

    /// Appends to the in-memory log and asks the host to write the entries.
    mutating func appendToLog(_ entries: [QuorumEntry]) {
        guard !entries.isEmpty else { return }
        for entry in entries { log.append(entry) }
        let write = nextWrite
        nextWrite += 1
        pendingWrites.append((write: write, zxid: log.lastZxid))
        effects.append(.append(entries, write: write))
    }

    /// The log was cut back (or replaced) to end at `zxid`: earlier writes now reach at most that.
    mutating func lowerDurable(to zxid: Zxid) {
        durableZxid = min(durableZxid, zxid)
        for index in pendingWrites.indices where pendingWrites[index].zxid > zxid {
            pendingWrites[index].zxid = zxid
        }
    }

    /// Hands the entries up to `zxid` to the host to apply.
    mutating func advanceCommit(to zxid: Zxid) {
        guard zxid > commitZxid else { return }
        let entries = Array(log.entries(after: commitZxid, through: zxid))
        commitZxid = zxid
        if !entries.isEmpty { effects.append(.commit(entries)) }
        log.trim(through: min(commitZxid, durableZxid), keep: timing.entriesInMemory)
    }

    /// More of the log is durable: maybe record the epoch, then acknowledge or commit.
    mutating func afterDurable() {
        if let pending = epochPending, durableZxid >= pending.through, pending.epoch == epoch {
            persistent.currentEpoch = pending.epoch
            persist()
            epochPending = nil
        }
        switch state {
        case .leader:
            leaderMaybeCommit()
            leaderAnnounceDurable()
        case .follower:
            // Commit first: the replies it releases leave ahead of the acknowledgement (which
            // the leader needs only for its own commit, when this node already commits with it).
            followerCommit(commitZxid)
            followerSendAck()
        case .candidate: break
        }
    }

    /// Leaves any role for a follower of `leader` (nil: none known yet) in the current epoch.
    /// The election timer restarts unless `keepTimer`: a vote request from a newer epoch must
    /// not hold back this node's own candidacy, or a candidate that cannot win (its log is
    /// behind) would keep everyone else from standing.
    mutating func becomeFollower(leader: PeerID?, keepTimer: Bool = false) {
        abortSyncs()
        epochPending = nil
        preVotes = nil
        state = .follower(FollowerState(leader: leader, synced: persistent.currentEpoch == epoch))
        // Serving waits until it has caught up with the leader (`caughtUp`).
        setRole(.looking)
        if !keepTimer { resetElectionDeadline() }
    }

    /// A follower stops following its leader but stays in the epoch: unlike `becomeFollower`,
    /// it keeps `synced` and a pending epoch record, since its log is still a prefix of that
    /// epoch's one leader's (a stale TRUNC of this epoch must never cut it afterwards).
    mutating func loseLeader(keepTimer: Bool) {
        guard case .follower(let current) = state, current.leader != nil else { return }
        abortSyncs()
        var follower = current
        follower.leader = nil
        follower.caughtUp = false
        follower.syncs = []
        follower.infoSent = nil
        follower.leaderDurable = .zero
        follower.ackSent = nil
        state = .follower(follower)
        setRole(.looking)
        if !keepTimer { resetElectionDeadline() }
    }

    /// A leader without a quorum stops leading; a new election follows from the timer.
    mutating func stepDown() {
        becomeFollower(leader: nil)
    }

    /// Moves to a newer epoch seen in a message: no vote in it yet, no leader known.
    mutating func adopt(epoch newEpoch: UInt32) {
        persistent.acceptedEpoch = newEpoch
        persistent.votedFor = nil
        persist()
        var wasLeader = false
        if case .leader = state { wasLeader = true }
        becomeFollower(leader: nil, keepTimer: !wasLeader)
    }

    mutating func abortSyncs() {
        var tokens: [UInt64] = []
        switch state {
        case .follower(let follower): tokens = follower.syncs.map(\.token)
        case .leader(let leader): tokens = leader.syncs.filter { $0.from == id }.map(\.token)
        case .candidate: break
        }
        if !tokens.isEmpty { effects.append(.syncAborted(tokens: tokens)) }
    }
}
