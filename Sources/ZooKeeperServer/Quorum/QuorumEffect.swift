/// What a node asks its host to do, in order. The host carries out each effect before the
/// next: a `persist`, `truncate` or `installSnapshot` is durable before any later `send`.
enum QuorumEffect: Sendable, Equatable {
    /// A `sync` may hold entries with trimmed (empty) payloads: the host reads them from its
    /// log before sending (`QuorumLog`'s memory note).
    case send(to: PeerID, QuorumMessage)
    /// Write the epochs and vote durably (fsync) before anything that follows.
    case persist(QuorumPersistentState)
    /// Append these entries to the log (not yet durable). Report `persisted(write:)` with this
    /// number, or a later one, once they are durable.
    case append([QuorumEntry], write: UInt64)
    /// Remove the log's entries after this zxid, durably. They were never committed.
    case truncate(after: Zxid)
    /// Replace the log and the state with this snapshot, durably.
    case installSnapshot(QuorumSnapshot)
    /// These entries are committed: apply them, in this order (zxids ascending, no gaps in the
    /// log's order).
    case commit([QuorumEntry])
    case roleChanged(QuorumRole, epoch: UInt32)
    /// Leader: a follower forwarded a client's request (`from` may be the leader itself).
    case forwarded(from: PeerID, payload: [UInt8])
    /// A client's `sync` is done: this node has applied everything committed before it began.
    case syncCompleted(token: UInt64)
    /// These `sync`s can no longer complete here (the node lost its leader).
    case syncAborted(tokens: [UInt64])
    /// The node's state contradicts the protocol (a bug, or a damaged disk). The host must stop
    /// serving and start over from a snapshot.
    case fault(String)
}

enum QuorumRole: Sendable, Equatable {
    /// Electing, or waiting to hear from a leader. Serves nothing.
    case looking
    case following(leader: PeerID)
    /// `established` once the leader's whole history is committed (and applied before this
    /// effect): only then may it take writes, decided against that state.
    case leading(established: Bool)
}
