/// The leader's side: synchronising followers, counting acknowledgements, heartbeats.
extension QuorumPeer {
    mutating func leaderTick() {
        guard case .leader(var leader) = state else { return }
        // Until a quorum holds its history (ZooKeeper's initLimit phase), followers may be
        // busy taking a sync, so the lease is `initTicks`; past that the leader gives up.
        var lease = timing.leaseTicks
        if !leader.established, let initTicks = timing.initTicks {
            if now - leader.since >= initTicks { return stepDown() }
            lease = max(lease, initTicks)
        }
        let heard = others.filter { now - (leader.lastHeard[$0] ?? 0) <= lease }.count + 1
        if heard < quorum {
            stepDown()
            return
        }
        if now - leader.lastHeartbeat >= timing.heartbeatTicks {
            leader.lastHeartbeat = now
            state = .leader(leader)
            broadcastHeartbeat()
        }
    }

    /// An empty proposal to every follower: the commit point, and the durable point it
    /// records as announced.
    mutating func broadcastHeartbeat() {
        let durable = durablePointToAnnounce
        for peer in others {
            send(peer, .propose(epoch: epoch, prevZxid: log.lastZxid, entries: [], commitZxid: commitZxid, durableZxid: durable))
        }
        if case .leader(var leader) = state {
            leader.announcedDurable = durable
            state = .leader(leader)
        }
    }

    /// After an fsync: followers that commit with the leader (`followersCommitWithLeader`)
    /// hear at once how far it now holds its log.
    mutating func leaderAnnounceDurable() {
        guard followersCommitWithLeader, case .leader(let leader) = state, durablePointToAnnounce > leader.announcedDurable else { return }
        broadcastHeartbeat()
    }

    /// Notes that `peer` is alive (for the lease); false when this node is not leading.
    mutating func heard(_ peer: PeerID) -> Bool {
        guard case .leader(var leader) = state else { return false }
        leader.lastHeard[peer] = now
        state = .leader(leader)
        return true
    }

    /// Plans DIFF, TRUNC or SNAP from the follower's last zxid (see `SyncPlan`).
    mutating func leaderHandleFollowerInfo(from peer: PeerID, lastZxid: Zxid) {
        guard heard(peer) else { return }
        var plan = SyncPlan(truncateTo: nil, snapshot: nil, prevZxid: log.baseZxid, entries: [], commitZxid: commitZxid)
        if let common = log.greatestZxid(atMost: lastZxid) {
            if common != lastZxid { plan.truncateTo = common }
            plan.prevZxid = common
            plan.entries = Array(log.entries(after: common))
        } else if let snapshot = log.snapshot {
            plan.snapshot = snapshot
            plan.entries = log.entries
        } else {
            effects.append(.fault("follower \(peer) is below a log without a snapshot"))
            return
        }
        send(peer, .sync(epoch: epoch, plan))
    }

    mutating func leaderHandleAck(from peer: PeerID, zxid: Zxid) {
        guard heard(peer), case .leader(var leader) = state else { return }
        let reached = min(zxid, log.lastZxid)
        if leader.acked[peer].map({ reached > $0 }) ?? true {
            leader.acked[peer] = reached
            state = .leader(leader)
            leaderMaybeCommit()
        }
    }

    mutating func leaderHandleSyncRequest(from peer: PeerID, token: UInt64) {
        guard heard(peer), case .leader(var leader) = state else { return }
        if commitZxid >= log.lastZxid {
            send(peer, .syncReply(epoch: epoch, token: token, zxid: log.lastZxid))
        } else {
            leader.syncs.append((from: peer, token: token, target: log.lastZxid))
            state = .leader(leader)
        }
    }

    /// Commits up to the greatest zxid a majority (this node included) holds durably in this
    /// epoch; the first time that covers the history, the leader is established.
    mutating func leaderMaybeCommit() {
        guard case .leader(var leader) = state, persistent.currentEpoch == epoch else { return }
        var reached = [durableZxid]
        for peer in others {
            if let zxid = leader.acked[peer] { reached.append(zxid) }
        }
        guard reached.count >= quorum else { return }
        reached.sort(by: >)
        let before = commitZxid
        let mark = effects.count
        advanceCommit(to: min(reached[quorum - 1], durableZxid))
        if commitZxid > before {
            // Followers learn the new commit point now, ahead of this node's own commit (which
            // releases replies), rather than at the next heartbeat: a client that wrote through
            // one member then reads its write at another, as ZooKeeper's leader sends COMMIT
            // before it answers.
            let committed = effects[mark...]
            effects.removeSubrange(mark...)
            if followersCommitWithLeader && leader.announcedDurable >= commitZxid {
                // Those that have heard the leader's durable point this far and acknowledged
                // the entries commit by themselves. One that has not acknowledged them may be
                // waiting for its own fsync: it hears the commit point now and applies what a
                // majority already holds, as ZooKeeper's COMMIT lets a follower do, instead of
                // after its disk (under load, the slower of two fsyncs decided its latency).
                let word = QuorumMessage.propose(
                    epoch: epoch, prevZxid: log.lastZxid, entries: [], commitZxid: commitZxid, durableZxid: durablePointToAnnounce)
                for peer in others where leader.acked[peer].map({ $0 < commitZxid }) ?? true {
                    send(peer, word)
                }
            } else {
                broadcastHeartbeat()
                leader.announcedDurable = durablePointToAnnounce
            }
            effects += committed
        }
        var done: [(from: PeerID, token: UInt64, target: Zxid)] = []
        leader.syncs.removeAll { sync in
            guard sync.target <= commitZxid else { return false }
            done.append(sync)
            return true
        }
        let establishes = !leader.established && commitZxid >= leader.historyEnd
        if establishes { leader.established = true }
        state = .leader(leader)
        for sync in done {
            if sync.from == id {
                effects.append(.syncCompleted(token: sync.token))
            } else {
                send(sync.from, .syncReply(epoch: epoch, token: sync.token, zxid: sync.target))
            }
        }
        if establishes { setRole(.leading(established: true)) }
    }
}
