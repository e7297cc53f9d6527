/// One ensemble member's replication protocol, as a deterministic state machine without I/O:
/// each input (a message, a timer tick, a durability report, a client write) returns the
/// effects the host must carry out, in order. The same inputs from the same seed give the
/// same effects, which is what lets the simulation test replay a failure from its seed.
///
/// **The protocol: Zab's log and synchronisation, elected the Raft way.**
///
/// - *Election* is Raft's: a node that hears no leader for a random timeout bumps its
///   `acceptedEpoch` (Raft's term), votes for itself and asks the others; each votes at most
///   once per epoch (the vote is durable) and only for a candidate whose log is at least as
///   complete as its own, compared by `(logEpoch, lastZxid)`. A majority makes it leader of
///   that epoch, so there is at most one leader per epoch. We chose this over Fast Leader
///   Election because its safety argument is short and well known and it needs no separate
///   election port protocol: the votes ride the same peer connection.
/// - *Synchronisation* is Zab's: the new leader's whole log is its history. Each follower
///   reports its last zxid and gets a DIFF, TRUNC or SNAP (`SyncPlan`); once that is durable it
///   records the leader's epoch as its `currentEpoch` (ZooKeeper's NEWLEADER acknowledgement)
///   and starts acknowledging. `logEpoch = max(currentEpoch, epoch of lastZxid)` plays Raft's
///   "last log term": holding a leader's history durably counts like holding an entry of its
///   epoch. That is why committing the old history needs no new entry: acknowledgements come
///   only from nodes that hold the history and the new epoch, so a quorum of them makes any
///   later winner hold it too (the Raft "figure 8" case cannot arise).
/// - *Broadcast* is both: the leader appends a proposal (zxid = epoch << 32 | counter), sends
///   it with the zxid before it; a follower whose log does not reach that zxid asks to be
///   synchronised again instead of leaving a gap. Acknowledgements are cumulative and sent
///   only for what is durable; a zxid commits once a majority including the leader holds it
///   durably, and everything commits in zxid order. Followers learn the commit point from
///   the next proposal or heartbeat.
///
/// The transport may drop, repeat, delay and reorder messages, and nodes may crash and
/// restart from their durable state (`QuorumPersistentState` and the log); see
/// `QuorumSimulationTests` for the invariants checked under all of those.
///
/// Payloads are opaque (the encoded `Txn`), so the machine sits under the `TxnCommitter` seam.
struct QuorumPeer: Sendable {
    let id: PeerID
    /// The voting members, this one included, in id order.
    let members: [PeerID]
    let timing: QuorumTiming

    // The host reads these; only the inputs below change them (they are not private only
    // because the machine's steps live in extensions, one file per role).
    var persistent: QuorumPersistentState
    var log: QuorumLog
    /// Everything up to here is committed and has been handed to the host in `commit` effects.
    var commitZxid: Zxid
    /// Everything up to here is on disk (reported by `persisted`, or covered by a snapshot).
    var durableZxid: Zxid
    var role: QuorumRole = .looking

    var state: State
    /// Ticks since this node started.
    var now = 0
    var electionDeadline = 0
    var random: QuorumRandom
    /// Writes handed to the host whose durability is not yet reported: the log's last zxid
    /// after each (lowered when the log is cut back).
    var pendingWrites: [(write: UInt64, zxid: Zxid)] = []
    var nextWrite: UInt64 = 1
    /// Once the log is durable up to `through`, record `epoch` as the `currentEpoch`.
    var epochPending: (epoch: UInt32, through: Zxid)?
    /// The effects of the input being handled.
    var effects: [QuorumEffect] = []

    enum State: Sendable {
        case follower(FollowerState)
        case candidate(votes: Set<PeerID>)
        case leader(LeaderState)
    }

    struct FollowerState: Sendable {
        var leader: PeerID?
        /// Whether this node's log is known to be a prefix of the leader's, so it may take
        /// proposals. True once synchronised in this epoch, or if its `currentEpoch` is it.
        var synced: Bool
        /// The last `followerInfo` sent (tick, last zxid): a burst of proposals asks once a
        /// tick, but a log that changed (a TRUNC that fell short) asks again at once.
        var infoSent: (tick: Int, lastZxid: Zxid)?
        /// Client `sync`s: waiting for the leader's reply (target nil), then for the commit.
        var syncs: [(token: UInt64, target: Zxid?)] = []
    }

    struct LeaderState: Sendable {
        /// The log when this node won: committing it makes the leader established.
        var historyEnd: Zxid
        var established = false
        /// Per follower: how far it durably holds this leader's log.
        var acked: [PeerID: Zxid] = [:]
        var lastHeard: [PeerID: Int] = [:]
        var lastHeartbeat = 0
        /// Client `sync`s (from a follower, or this node) waiting for `target` to commit.
        var syncs: [(from: PeerID, token: UInt64, target: Zxid)] = []
    }

    /// Starts a node from its durable state: the persisted epochs and vote, the latest
    /// snapshot and the log entries after it (everything on disk is durable).
    init(
        id: PeerID, members: [PeerID], timing: QuorumTiming = QuorumTiming(), persistent: QuorumPersistentState,
        snapshot: QuorumSnapshot?, log entries: [QuorumEntry], seed: UInt64
    ) {
        self.id = id
        self.members = Array(Set(members + [id])).sorted()
        self.timing = timing
        self.persistent = persistent
        log = QuorumLog(snapshot: snapshot, entries: entries)
        commitZxid = log.baseZxid
        durableZxid = log.lastZxid
        random = QuorumRandom(seed: seed ^ UInt64(bitPattern: id))
        // A node that recorded the current epoch holds a prefix of that leader's log and may
        // have acknowledged it: it must never be cut back by a stale TRUNC after a restart.
        state = .follower(FollowerState(leader: nil, synced: persistent.currentEpoch == persistent.acceptedEpoch))
        resetElectionDeadline()
    }

    var quorum: Int { members.count / 2 + 1 }
    var others: [PeerID] { members.filter { $0 != id } }
    var epoch: UInt32 { persistent.acceptedEpoch }
    /// Raft's "last log term": how recent this node's log is, before the last zxid.
    var logEpoch: UInt32 { max(persistent.currentEpoch, log.lastZxid.epoch) }

    // MARK: Inputs

    /// One timer tick.
    mutating func tick() -> [QuorumEffect] {
        effects = []
        now += 1
        switch state {
        case .leader: leaderTick()
        case .follower, .candidate:
            if now >= electionDeadline {
                startElection()
            } else {
                resendSyncRequests()
            }
        }
        return takeEffects()
    }

    mutating func receive(_ message: QuorumMessage, from peer: PeerID) -> [QuorumEffect] {
        effects = []
        guard peer != id, members.contains(peer) else { return [] }
        guard let messageEpoch = message.epoch else {
            if case .forward(let payload) = message, case .leader = state {
                effects.append(.forwarded(from: peer, payload: payload))
            }
            return takeEffects()
        }
        if messageEpoch > epoch { adopt(epoch: messageEpoch) }
        if messageEpoch < epoch {
            // Tell a stale candidate the epoch, so it stops asking; the rest is just old.
            if case .voteRequest = message { send(peer, .voteReply(epoch: epoch, granted: false)) }
            return takeEffects()
        }
        switch message {
        case .voteRequest(_, let lastEpoch, let lastZxid): handleVoteRequest(from: peer, lastEpoch: lastEpoch, lastZxid: lastZxid)
        case .voteReply(_, let granted): handleVoteReply(from: peer, granted: granted)
        case .followerInfo(_, let lastZxid): leaderHandleFollowerInfo(from: peer, lastZxid: lastZxid)
        case .ack(_, let zxid): leaderHandleAck(from: peer, zxid: zxid)
        case .syncRequest(_, let token): leaderHandleSyncRequest(from: peer, token: token)
        case .sync(_, let plan): followerHandleSync(from: peer, plan)
        case .propose(_, let prevZxid, let entries, let commit):
            followerHandlePropose(from: peer, prevZxid: prevZxid, entries: entries, commit: commit)
        case .syncReply(_, let token, let zxid): followerHandleSyncReply(from: peer, token: token, zxid: zxid)
        case .forward: break
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
            send(peer, .propose(epoch: epoch, prevZxid: last, entries: [entry], commitZxid: commitZxid))
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

    // MARK: Shared steps

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

    mutating func resetElectionDeadline() {
        electionDeadline = now + Int.random(in: timing.electionTicks, using: &random)
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
    }

    /// More of the log is durable: maybe record the epoch, then acknowledge or commit.
    mutating func afterDurable() {
        if let pending = epochPending, durableZxid >= pending.through, pending.epoch == epoch {
            persistent.currentEpoch = pending.epoch
            persist()
            epochPending = nil
        }
        switch state {
        case .leader: leaderMaybeCommit()
        case .follower: followerSendAck()
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
        state = .follower(FollowerState(leader: leader, synced: persistent.currentEpoch == epoch))
        setRole(leader.map { .following(leader: $0) } ?? .looking)
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
