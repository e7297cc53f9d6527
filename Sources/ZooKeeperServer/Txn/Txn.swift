import ZooKeeperProtocol

/// One transaction: a change to the replicated state (the data tree and the session table),
/// decided once by `RequestPreparer` on the node that takes the write and then applied
/// identically wherever it is replayed: from the transaction log at recovery, and (in an
/// ensemble) on every follower. Everything applying needs is in it; nothing is looked up
/// from the clock or from local state.
///
/// The header fields are ZooKeeper's `TxnHeader`: the session that asked, its request's xid,
/// the zxid, the wall-clock time in ms (which becomes ctime/mtime).
struct Txn: Sendable, Equatable {
    var sessionId: Int64
    var cxid: Int32
    var zxid: Int64
    var time: Int64
    var body: TxnBody
}

/// What a transaction does. The op codes in `code` are ZooKeeper's, so logs read naturally.
indirect enum TxnBody: Sendable, Equatable {
    case createSession(timeout: Int32)
    /// Ends the session named in the header; its ephemeral nodes are deleted.
    case closeSession
    /// Any kind of node: `ephemeralOwner` carries the session, the container marker or the TTL
    /// (see `NodeKind`). `parentCVersion` is the parent's new creation count.
    case create(path: String, data: [UInt8], acl: [ACL], ephemeralOwner: Int64, parentCVersion: Int32)
    case delete(path: String)
    /// `version` is the node's new data version.
    case setData(path: String, data: [UInt8], version: Int32)
    /// `version` is the node's new ACL version.
    case setACL(path: String, acl: [ACL], version: Int32)
    case check(path: String, version: Int32)
    /// A write that failed: it still takes a zxid, as in ZooKeeper.
    case error(Int32)
    /// All or nothing; the parts share the header. Parts are never multis themselves.
    case multi([TxnBody])

    var code: OpCode {
        switch self {
        case .createSession: .createSession
        case .closeSession: .closeSession
        case .create: .create
        case .delete: .delete
        case .setData: .setData
        case .setACL: .setACL
        case .check: .check
        case .error: .error
        case .multi: .multi
        }
    }
}
