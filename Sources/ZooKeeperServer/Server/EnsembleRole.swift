import ZooKeeperProtocol

/// What the request processor is, as far as deciding writes goes.
enum ServingMode: Sendable, Equatable {
    /// A node on its own: it decides and commits everything locally.
    case standalone
    /// An ensemble member without an established leader: it serves nobody (connections are
    /// closed, as ZooKeeper's are while it elects).
    case looking
    /// Decides writes (its own clients' and those its followers forward) and expires sessions.
    case leading
    /// Forwards writes and session changes to the leader and applies what commits.
    case following

    /// srvr's and stat's "Mode:" and mntr's zk_server_state.
    var name: String {
        switch self {
        case .standalone: "standalone"
        case .looking: "looking"
        case .leading: "leader"
        case .following: "follower"
        }
    }
}

/// How a follower's processor reaches the leader (the ensemble's committer provides it).
protocol EnsembleLink: AnyObject, Sendable {
    /// Sends a `ForwardedRequest` payload to the leader (dropped while there is none: the
    /// node then changes role and its clients reconnect).
    func forward(_ payload: [UInt8])
    /// A client's `sync`: the processor hears `syncCompleted(token:)` once this node has
    /// applied everything the leader committed before it, or `syncAborted`.
    func requestSync(token: UInt64)
}

/// A follower's request waiting for its turn: a session's requests are answered in order, so
/// a read waits behind the session's writes still being decided by the leader (ZooKeeper's
/// CommitProcessor).
struct QueuedRequest {
    enum Kind: Equatable {
        /// Forwarded; answered when the transaction with this xid commits here.
        case write(xid: Int32)
        /// Answered when the leader's sync reply has been applied.
        case sync(token: UInt64, done: Bool)
        /// Answered from the local database once everything before it was.
        case read
    }

    var kind: Kind
    let incoming: Incoming
    let context: RequestProcessor.RequestContext
}

/// The ensemble side of the processor's state (queue-owned).
struct EnsembleState {
    var mode = ServingMode.standalone
    var link: (any EnsembleLink)?
    /// Follower: the committed transaction a request being answered must apply (instead of
    /// deciding one itself).
    var replaying: Txn?
    var queues: [Int64: [QueuedRequest]] = [:]
    /// Follower: new sessions waiting for their createSession to commit.
    var pendingConnects: [Int64: (context: RequestProcessor.RequestContext, readOnly: Bool?)] = [:]
    /// Follower: sessions heard from since the last report to the leader.
    var touched: [Int64: Int32] = [:]
    var syncSessions: [UInt64: Int64] = [:]
    /// Follower: reconnects of sessions this node has not heard of, waiting (by sync token)
    /// until it has caught up with the leader to look again (`handleConnect`).
    var revalidating: [UInt64: (request: ConnectRequest, context: RequestProcessor.RequestContext)] = [:]
    var nextSyncToken: UInt64 = 1
    /// Leader: what undoes the transactions applied to `database` and not yet known to have
    /// committed, oldest first; undone when leadership is lost (they may never commit).
    var unconfirmed: [ZKDatabase.Undo] = []
}
