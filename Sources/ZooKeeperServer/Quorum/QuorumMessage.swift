/// The messages between ensemble members. Every one but `forward` and the pre-vote carries the
/// sender's epoch: a node that sees a higher epoch adopts it (and a leader that does steps
/// down); messages of an older epoch are ignored, except that a stale candidate is told the
/// current epoch.
///
/// The transport may lose, repeat, delay and reorder messages: each message is safe to act on
/// whenever it arrives, and lost ones are made up for by the heartbeat that follows.
enum QuorumMessage: Sendable, Equatable {
    /// Before standing, a node asks whether it could win (Raft's pre-vote): it changes nothing
    /// at the receiver, so a node that cannot win (it is cut off, or just restarted and has not
    /// heard the leader yet) never bumps the epoch and deposes a working leader.
    case preVoteRequest(lastEpoch: UInt32, lastZxid: Zxid)
    /// Granted when the asker's log is at least as complete and the voter follows no leader;
    /// `epoch` is the voter's, so the election that follows starts above every voter's epoch.
    case preVoteReply(epoch: UInt32, granted: Bool)
    /// A candidate for `epoch` asks for a vote, showing how complete its log is.
    case voteRequest(epoch: UInt32, lastEpoch: UInt32, lastZxid: Zxid)
    case voteReply(epoch: UInt32, granted: Bool)
    /// Follower → leader: "my log ends at `lastZxid`; bring me up to your history". Sent when a
    /// follower cannot take a proposal (it is not synchronised, or one went missing).
    case followerInfo(epoch: UInt32, lastZxid: Zxid)
    /// Leader → follower: the answer to `followerInfo` (DIFF / TRUNC / SNAP).
    case sync(epoch: UInt32, SyncPlan)
    /// Leader → followers: new entries following `prevZxid`, the leader's commit point, and
    /// how far the leader holds its own log durably (zero until it has recorded its epoch; see
    /// `QuorumPeer.followerCommit`). With no entries it is the heartbeat.
    case propose(epoch: UInt32, prevZxid: Zxid, entries: [QuorumEntry], commitZxid: Zxid, durableZxid: Zxid = .zero)
    /// Follower → leader: "I hold your log durably up to `zxid`" (cumulative; also the
    /// heartbeat's answer).
    case ack(epoch: UInt32, zxid: Zxid)
    /// Follower → leader, for a client's `sync`: answer when everything proposed so far has
    /// committed.
    case syncRequest(epoch: UInt32, token: UInt64)
    /// Leader → follower: the client's `sync` completes once the follower has applied `zxid`.
    case syncReply(epoch: UInt32, token: UInt64, zxid: Zxid)
    /// Follower → leader: a client's write request, for the leader to decide (opaque bytes).
    case forward(payload: [UInt8])

    /// Which of a member's two ports carries it: the votes go to the election port, everything
    /// of the established ensemble (sync, broadcast, forwards) to the quorum port, as in ZooKeeper.
    var channel: QuorumChannel {
        switch self {
        case .preVoteRequest, .preVoteReply, .voteRequest, .voteReply: .election
        case .followerInfo, .sync, .propose, .ack, .syncRequest, .syncReply, .forward: .quorum
        }
    }

    /// The epoch a receiver adopts when it is newer than its own; nil for messages that do not
    /// move epochs.
    var epoch: UInt32? {
        switch self {
        case .voteRequest(let epoch, _, _), .voteReply(let epoch, _), .followerInfo(let epoch, _), .sync(let epoch, _),
            .propose(let epoch, _, _, _, _), .ack(let epoch, _), .syncRequest(let epoch, _), .syncReply(let epoch, _, _):
            epoch
        case .forward, .preVoteRequest, .preVoteReply: nil
        }
    }
}

/// A member's two peer ports (`server.N=host:quorumPort:electionPort`).
enum QuorumChannel: Sendable, Hashable, CaseIterable {
    case election, quorum
}

/// How a leader brings one follower to its history, planned from the follower's last zxid:
///
/// - **DIFF**: the follower's last zxid is in the leader's log: send what follows it.
/// - **TRUNC**: it is not (the follower holds transactions of a leader that failed before they
///   committed): cut the follower back to the greatest zxid below it that the leader has, then
///   DIFF. If the follower lacks that zxid too it says so, and the leader plans again.
/// - **SNAP**: it is below the leader's snapshot: send the snapshot, then DIFF.
///
/// Once the follower holds the entries it records the leader's epoch as its `currentEpoch`
/// (durably, after the entries are durable) and from then on acknowledges proposals.
struct SyncPlan: Sendable, Equatable {
    var truncateTo: Zxid?
    var snapshot: QuorumSnapshot?
    var prevZxid: Zxid
    var entries: [QuorumEntry]
    var commitZxid: Zxid
}
