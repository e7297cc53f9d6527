/// A transaction id in the ensemble's total order: the leader's epoch in the high 32 bits and a
/// counter the leader of that epoch assigns in the low 32 bits, as in ZooKeeper. Only one
/// leader ever leads an epoch, so a zxid names one transaction everywhere; and comparing zxids
/// compares (epoch, counter), which is the order transactions were decided in.
///
/// Epochs stay below 2^31 so the value is a non-negative `Int64`, the type `Txn.zxid` and the
/// wire use.
struct Zxid: Hashable, Comparable, Sendable, CustomStringConvertible {
    var value: Int64

    static let zero = Zxid(value: 0)

    init(value: Int64) {
        self.value = value
    }

    init(epoch: UInt32, counter: UInt32) {
        value = Int64(epoch) << 32 | Int64(counter)
    }

    var epoch: UInt32 { UInt32(truncatingIfNeeded: value >> 32) }
    var counter: UInt32 { UInt32(truncatingIfNeeded: value) }

    static func < (lhs: Zxid, rhs: Zxid) -> Bool { lhs.value < rhs.value }

    var description: String { "0x" + String(value, radix: 16) }
}

/// A server of the ensemble, by its `server.N` number (`myid`).
typealias PeerID = Int64

/// One replicated transaction: its zxid and the encoded `Txn`, opaque to the protocol.
struct QuorumEntry: Sendable, Equatable {
    var zxid: Zxid
    var payload: [UInt8]
}

/// The replicated state as of `zxid`, made by the host (the encoded database); opaque to the
/// protocol. Only ever taken of committed transactions. An empty snapshot at zxid 0 is the
/// empty state.
struct QuorumSnapshot: Sendable, Equatable {
    var zxid: Zxid
    var data: [UInt8]
}

/// What a node must keep on disk besides its log, written durably (and fsynced) before any
/// effect that follows its `persist` effect. ZooKeeper keeps the two epochs in the files
/// `acceptedEpoch` and `currentEpoch`.
struct QuorumPersistentState: Sendable, Equatable {
    /// The highest epoch this node has seen (Raft's current term): it never votes or follows in
    /// an older one again.
    var acceptedEpoch: UInt32 = 0
    /// Whom it voted for in `acceptedEpoch`, so it never votes twice in one epoch.
    var votedFor: PeerID?
    /// The epoch of the last leader whose whole history this node holds durably (ZooKeeper's
    /// NEWLEADER acknowledgement). It orders logs in elections before the last zxid does.
    var currentEpoch: UInt32 = 0
}
