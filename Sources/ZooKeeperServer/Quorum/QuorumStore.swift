/// The durable side of a quorum node, called only on the node's queue (but for what `syncer`
/// returns): the transaction log, the snapshot and the persisted epochs. `append` may leave
/// data in the page cache; what `syncer` returns makes every append before it durable. The
/// other calls are durable when they return.
///
/// `QuorumFileStore` keeps it in the data directories; tests also use one in memory.
protocol QuorumStore: AnyObject {
    func append(_ entries: [QuorumEntry]) throws
    /// What makes every append so far durable, to run off the node's queue while later appends
    /// go on (so the node keeps sending and receiving during an fsync). Appends made after this
    /// call are not covered; a roll, truncation or install meanwhile stays correct (each syncs
    /// what it leaves behind itself). Nil when appends need no more (`forceSync=no`): the
    /// node then counts them durable once written.
    func syncer() -> (@Sendable () throws -> Void)?
    /// The durable entries the store holds in `(after, through]` (for a DIFF whose payloads the
    /// node's memory let go; `after` may be a snapshot's zxid); the caller checks they are all
    /// there.
    func payloads(after: Zxid, through: Zxid) throws -> [QuorumEntry]?
    /// Removes the entries after `zxid`.
    func truncate(after zxid: Zxid) throws
    /// Replaces the log and the state with `snapshot`.
    func install(_ snapshot: QuorumSnapshot) throws
    func persist(_ state: QuorumPersistentState) throws
    /// The node's log was compacted to `snapshot` (already durable): the store may forget what
    /// it covers. A store that keeps no separate snapshot need do nothing.
    func compacted(to snapshot: QuorumSnapshot) throws
    /// Whether the store holds the snapshot of `zxid` itself (a file): then the node keeps
    /// only its zxid in memory and reads the bytes back with `snapshotBytes` for a SNAP.
    func holdsSnapshot(at zxid: Zxid) -> Bool
    /// The bytes of the snapshot of `zxid` the store holds, nil when it holds none.
    func snapshotBytes(at zxid: Zxid) throws -> [UInt8]?
}

extension QuorumStore {
    func compacted(to snapshot: QuorumSnapshot) throws {}
    func holdsSnapshot(at zxid: Zxid) -> Bool { false }
    func snapshotBytes(at zxid: Zxid) throws -> [UInt8]? { nil }
}

/// What a quorum node tells its host, on the node's queue, in order.
enum QuorumEvent: Sendable {
    /// Apply these, in order.
    case committed([QuorumEntry])
    /// Reload the state from this snapshot.
    case snapshotInstalled(QuorumSnapshot)
    case roleChanged(QuorumRole, epoch: UInt32)
    /// Leader: decide this forwarded client request.
    case forwarded(from: PeerID, payload: [UInt8])
    case syncCompleted(token: UInt64)
    case syncAborted(tokens: [UInt64])
    /// The node stopped: its disk failed or its state contradicts the protocol.
    case failed(String)
}
