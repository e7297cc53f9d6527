/// The follower's side: taking the leader's history, proposals and commit point.
extension QuorumPeer {
    /// A sync or proposal from `peer` in the current epoch: it is the leader. Returns the
    /// follower state, or nil when this node cannot follow it.
    mutating func follow(_ peer: PeerID) -> FollowerState? {
        switch state {
        case .leader:
            effects.append(.fault("two leaders in epoch \(epoch): this node and \(peer)"))
            return nil
        case .candidate:
            becomeFollower(leader: peer)
        case .follower(var follower):
            if let leader = follower.leader, leader != peer {
                effects.append(.fault("two leaders in epoch \(epoch): \(leader) and \(peer)"))
                return nil
            }
            if follower.leader == nil {
                preVotes = nil
                follower.leader = peer
                state = .follower(follower)
            }
            resetElectionDeadline()
        }
        guard case .follower(let follower) = state else { return nil }
        return follower
    }

    mutating func followerHandlePropose(from peer: PeerID, prevZxid: Zxid, entries: [QuorumEntry], commit: Zxid, leaderDurable: Zxid) {
        guard var follower = follow(peer) else { return }
        if leaderDurable > follower.leaderDurable {
            // It speaks of the leader's log, of which ours is (or becomes, once synchronised)
            // a prefix: worth keeping before the check below.
            follower.leaderDurable = leaderDurable
            state = .follower(follower)
        }
        guard follower.synced, prevZxid <= log.lastZxid else {
            askToSync()
            return
        }
        // Our log is a prefix of the leader's: what we lack follows our last zxid.
        appendToLog(entries.filter { $0.zxid > log.lastZxid })
        followerCommit(commit)
        followerSendAck()
        serveOnceCaughtUp()
    }

    /// Holding everything the leader had proposed when it last wrote to us, and having applied
    /// what it had committed (the `commit` effects come first), this node serves clients.
    mutating func serveOnceCaughtUp() {
        guard case .follower(var follower) = state, let leader = follower.leader, follower.synced, !follower.caughtUp else { return }
        follower.caughtUp = true
        state = .follower(follower)
        setRole(.following(leader: leader))
    }

    mutating func followerHandleSync(from peer: PeerID, _ plan: SyncPlan) {
        guard var follower = follow(peer) else { return }
        if let snapshot = plan.snapshot, snapshot.zxid > log.lastZxid {
            // Everything we hold is older than the snapshot, which is committed state.
            log.reset(to: snapshot)
            lowerDurable(to: snapshot.zxid)
            durableZxid = snapshot.zxid
            commitZxid = snapshot.zxid
            effects.append(.installSnapshot(snapshot))
        }
        if follower.synced {
            // A repeat or a late answer: our log is already a prefix of the leader's, never cut it.
            guard plan.prevZxid <= log.lastZxid else { return askToSync() }
        } else {
            if let cut = plan.truncateTo, cut < log.lastZxid {
                guard cut >= commitZxid else {
                    effects.append(.fault("asked to truncate to \(cut), below committed \(commitZxid)"))
                    return
                }
                log.truncate(after: cut)
                // We may not hold `cut` itself (then we ask again below): what survives ends
                // at our own last zxid, not at the leader's.
                lowerDurable(to: log.lastZxid)
                effects.append(.truncate(after: cut))
            }
            guard log.lastZxid == plan.prevZxid else { return askToSync() }
            follower.synced = true
            state = .follower(follower)
        }
        appendToLog(plan.entries.filter { $0.zxid > log.lastZxid })
        if persistent.currentEpoch != epoch && epochPending == nil {
            epochPending = (epoch: epoch, through: log.lastZxid)
        }
        followerCommit(plan.commitZxid)
        afterDurable()
        serveOnceCaughtUp()
    }

    /// Tells the leader where our log ends (once a tick for the same log), so it plans a sync.
    mutating func askToSync() {
        guard case .follower(var follower) = state, let leader = follower.leader else { return }
        if let sent = follower.infoSent, sent.tick == now, sent.lastZxid == log.lastZxid { return }
        follower.infoSent = (tick: now, lastZxid: log.lastZxid)
        state = .follower(follower)
        send(leader, .followerInfo(epoch: epoch, lastZxid: log.lastZxid))
        // The sync may take long (a SNAP, behind which heartbeats queue): give it `initTicks`
        // before standing for election, as a ZooKeeper follower reads with initLimit until synced.
        if !follower.synced, let initTicks = timing.initTicks {
            electionDeadline = max(electionDeadline, now + initTicks)
        }
    }

    /// Acknowledges what is durable, once this node holds the leader's history and epoch:
    /// when the durable point moved since the last acknowledgement, and otherwise once a tick
    /// (the leader's lease, and a lost acknowledgement made up for). A proposal or commit word
    /// that arrives before the fsync, or after it, is not answered again: each answer would
    /// wake the leader for nothing (a write was acknowledged three times, one of them useful).
    mutating func followerSendAck() {
        guard case .follower(var follower) = state, let leader = follower.leader, follower.synced,
            persistent.currentEpoch == epoch
        else { return }
        if let sent = follower.ackSent, sent.tick == now, sent.zxid >= durableZxid { return }
        follower.ackSent = (tick: now, zxid: durableZxid)
        state = .follower(follower)
        send(leader, .ack(epoch: epoch, zxid: durableZxid))
    }

    /// Commits up to the leader's commit point, as far as our log (a prefix of its) reaches;
    /// where the leader and this node are a majority, also what both hold durably. That is
    /// the leader's own rule (`leaderMaybeCommit`) applied here, with the same conditions:
    /// this node counts only once it has recorded the epoch (as for its acknowledgement), the
    /// leader only once it has (`durablePointToAnnounce`).
    mutating func followerCommit(_ leaderCommit: Zxid) {
        guard case .follower(var follower) = state, follower.synced else { return }
        var target = leaderCommit
        if followersCommitWithLeader, persistent.currentEpoch == epoch {
            target = max(target, min(follower.leaderDurable, durableZxid))
        }
        advanceCommit(to: min(target, log.lastZxid))
        var done: [UInt64] = []
        follower.syncs.removeAll { sync in
            guard let target = sync.target, target <= commitZxid else { return false }
            done.append(sync.token)
            return true
        }
        state = .follower(follower)
        for token in done { effects.append(.syncCompleted(token: token)) }
    }

    mutating func followerHandleSyncReply(from peer: PeerID, token: UInt64, zxid: Zxid) {
        guard case .follower(var follower) = state, follower.leader == peer,
            let index = follower.syncs.firstIndex(where: { $0.token == token && $0.target == nil })
        else { return }
        follower.syncs[index].target = zxid
        state = .follower(follower)
        followerCommit(commitZxid)
    }

    /// Requests lost on the way are asked again every few ticks; the leader answers each.
    mutating func resendSyncRequests() {
        guard now % max(timing.syncRetryTicks, 1) == 0, case .follower(let follower) = state, let leader = follower.leader else { return }
        for sync in follower.syncs where sync.target == nil {
            send(leader, .syncRequest(epoch: epoch, token: sync.token))
        }
    }
}
