/// One ensemble member's replication protocol, as a deterministic state machine without I/O:
/// each input (a message, a timer tick, a durability report, a client write) returns the
/// effects the host must carry out, in order. The same inputs from the same seed give the
/// same effects, which is what lets the simulation test replay a failure from its seed.
///
/// **The protocol: Zab's log and synchronisation, elected the Raft way.**
///
/// - *Election* is Raft's: a node that hears no leader for a random timeout (or loses its
///   connection from the leader, as a ZooKeeper follower goes LOOKING when its socket closes)
///   first asks whether it could win (pre-vote: granted by a majority that follows no leader
///   and holds no more complete log), then bumps its
///   `acceptedEpoch` (Raft's term), votes for itself and asks the others; each votes at most
///   once per epoch (the vote is durable) and only for a candidate whose log is at least as
///   complete as its own, compared by `(logEpoch, lastZxid)`. A majority makes it leader of
///   that epoch, so there is at most one leader per epoch. We chose this over Fast Leader
///   Election because its safety argument is short and well known, and because FLE's
///   notification rounds add nothing once votes are durable and epochs are terms. Votes are
///   ordinary messages here; the transport carries them on the election port.
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
///   the next proposal or heartbeat. In an ensemble of three a follower needs no more than
///   that: it and the leader are a majority, so once it holds an entry durably and has heard
///   that the leader does (the leader's durable point, sent after each of its fsyncs), it
///   commits by itself, the same rule the leader applies to that follower's acknowledgement.
///   That spares a one-at-a-time write through a follower the acknowledgement's and the
///   commit's trip (two of the five messages between the members on its way).
///
/// **What keeps an acknowledgement true** (the simulation found the second and the last of
/// these missing): a follower only ever cuts entries the leader lacks (so never committed
/// ones); one that has recorded the leader's epoch — also after a restart — never cuts at
/// all, whatever stale TRUNC arrives; a snapshot is installed only when it is ahead of the
/// whole log; and after a cut the durable point is the follower's own last zxid, not the
/// leader's cut point.
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

    // The host reads these; only the inputs (`QuorumPeer+Inputs`) change them. They are not
    // private only because the machine's steps live in extensions, one file per concern.
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
    /// A pre-vote in progress: who granted it, and the highest epoch among them (the election
    /// that follows starts above it).
    var preVotes: (voters: Set<PeerID>, highestEpoch: UInt32)?
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
        /// Whether this node has caught up with the leader since it began following it: only
        /// then is its role `following`, so it serves clients (a ZooKeeper follower serves
        /// after UPTODATE, never the state it restarted with).
        var caughtUp = false
        /// How far the leader has said it holds its log durably (`QuorumMessage.propose`).
        var leaderDurable = Zxid.zero
        /// The last acknowledgement sent (tick, durable point): see `followerSendAck`.
        var ackSent: (tick: Int, zxid: Zxid)?
    }

    struct LeaderState: Sendable {
        /// The log when this node won: committing it makes the leader established.
        var historyEnd: Zxid
        var established = false
        /// Per follower: how far it durably holds this leader's log.
        var acked: [PeerID: Zxid] = [:]
        var lastHeard: [PeerID: Int] = [:]
        var lastHeartbeat = 0
        /// When this node won (for `QuorumTiming.initTicks`).
        var since = 0
        /// Client `sync`s (from a follower, or this node) waiting for `target` to commit.
        var syncs: [(from: PeerID, token: UInt64, target: Zxid)] = []
        /// The durable point last sent to every follower.
        var announcedDurable = Zxid.zero
    }

    /// Starts a node from its durable state: the persisted epochs and vote, the latest
    /// snapshot and the log entries after it (everything on disk is durable). `seed` drives
    /// the election timeouts: a real node passes a random one, a simulation its own.
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
        // Mixed with the id so members never draw the same timeouts, even from equal seeds
        // (`seed ^ id` made every node with seed == id identical: split votes forever).
        random = QuorumRandom(seed: seed &+ UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15)
        // A node that recorded the current epoch holds a prefix of that leader's log and may
        // have acknowledged it: it must never be cut back by a stale TRUNC after a restart.
        state = .follower(FollowerState(leader: nil, synced: persistent.currentEpoch == persistent.acceptedEpoch))
        resetElectionDeadline()
    }

    var quorum: Int { members.count / 2 + 1 }
    /// Whether the leader and one follower are a majority (three members, or two), so that a
    /// follower commits what both hold durably without waiting for the leader's word.
    var followersCommitWithLeader: Bool { quorum <= 2 }
    /// How far this node holds its log durably as a leader tells its followers: its
    /// durability counts toward a commit only once it has recorded its epoch, as in
    /// `leaderMaybeCommit`.
    var durablePointToAnnounce: Zxid { persistent.currentEpoch == epoch ? durableZxid : .zero }
    var others: [PeerID] { members.filter { $0 != id } }
    var epoch: UInt32 { persistent.acceptedEpoch }
    /// Raft's "last log term": how recent this node's log is, before the last zxid.
    var logEpoch: UInt32 { max(persistent.currentEpoch, log.lastZxid.epoch) }
}
