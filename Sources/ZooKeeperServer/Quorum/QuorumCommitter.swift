import Dispatch
import Network
import Synchronization

/// The ensemble's `TxnCommitter`: transactions decided by this node's request
/// processor — which only happens while it is the established leader — are proposed to the
/// quorum, and each batch's effects run once its last transaction is committed (durable on a
/// majority including this node), in submission order.
///
/// Committed transactions this node did not decide (everything while following, and the
/// history a new leader inherits) go to `apply`, for the processor to apply in order.
///
/// Snapshots: `checkpoint` hands images to the `QuorumCheckpointer` set by `enableSnapshots`,
/// which writes one once its zxid is committed and then compacts the log.
///
/// Numbering: the processor asks `nextZxid(after:)`, so a new epoch starts at counter 1.
/// Followers reach the leader through `EnsembleLink` (forwarded requests, session touches,
/// syncs); role changes, forwarded requests, sync outcomes and installed snapshots reach the
/// processor through `QuorumCommitterHost`.
final class QuorumCommitter: TxnCommitter, @unchecked Sendable {
    private let node: QuorumNode
    private let apply: @Sendable ([Txn]) -> Void
    /// Called when this node stops leading with writes outstanding, or fails: the host must
    /// drop its connections and rebuild its state from the log (as ZooKeeper restarts its
    /// server on every role change).
    private let onLostLeadership: @Sendable (String) -> Void
    // Queue-owned state.
    private var waiting: [(zxid: Zxid, effects: [Effect])] = []
    private var committed = Zxid.zero
    private var role = QuorumRole.looking
    private var epoch: UInt32 = 0
    private var closed = false
    private var host: (any QuorumCommitterHost)?
    private var checkpointer: QuorumCheckpointer?
    /// The epoch this node leads in (established), readable from the processor's queue.
    private let leadingEpoch = Mutex<UInt32?>(nil)
    /// `submit` and `release` onto the node's queue, in call order (`release` at once from
    /// under the node's loop when nothing is queued before it).
    private let calls: OrderedHandOff

    init(node: QuorumNode, apply: @escaping @Sendable ([Txn]) -> Void, onLostLeadership: @escaping @Sendable (String) -> Void) {
        self.node = node
        self.apply = apply
        self.onLostLeadership = onLostLeadership
        calls = OrderedHandOff(queue: node.queue, root: node.root)
        node.listen { [weak self] event in self?.handle(event) }
    }

    /// Sets who hears role changes, forwarded requests and sync outcomes (before the node
    /// starts).
    func attach(_ host: any QuorumCommitterHost) {
        node.queue.sync { self.host = host }
    }

    func submit(_ txns: [Txn], effects: [Effect]) {
        calls.enqueue { [self] in
            guard !closed else { return }
            for txn in txns {
                guard let next = node.nextProposalZxid, next.value == txn.zxid else {
                    return lose("transaction 0x\(String(txn.zxid, radix: 16)) is not this leader's next zxid")
                }
                _ = node.propose { _ in TxnCodec.encode(txn) }
            }
            let target = node.lastZxid
            if waiting.isEmpty && committed >= target {
                for effect in effects { effect.perform() }
            } else {
                waiting.append((zxid: target, effects: effects))
            }
        }
    }

    /// A follower's effects: its state holds committed transactions only (it applies on commit),
    /// so its replies wait for nothing but the effects queued before them. Through `submit` they
    /// waited for every proposal in this node's log to commit, so a read through a follower
    /// took a commit round longer whenever anyone's write was in flight; ZooKeeper's followers
    /// answer reads at once.
    func release(_ effects: [Effect]) {
        // A follower releases its replies while it applies a commit, on the loop: at once, so
        // a reply leaves ahead of the acknowledgement queued by the same commit (queued, it
        // went out after it, about 50 µs later in a one-at-a-time write).
        // Not past a submit or release still queued: effects keep the order of the calls.
        calls.run { [self] in releaseNow(effects) }
    }

    private func releaseNow(_ effects: [Effect]) {
        guard !closed else { return }
        if waiting.isEmpty {
            for effect in effects { effect.perform() }
        } else {
            waiting.append((zxid: committed, effects: effects))
        }
    }

    /// The leader numbers its first transaction of an epoch `epoch << 32 | 1`, as the peer's
    /// `nextProposalZxid` expects; then one after another.
    func nextZxid(after last: Int64) -> Int64 {
        guard let epoch = leadingEpoch.withLock({ $0 }), Zxid(value: last).epoch != epoch else { return last + 1 }
        return Zxid(epoch: epoch, counter: 1).value
    }

    /// Lets `checkpoint` write snapshots and compact the log (call before the processor starts;
    /// without it, `checkpoint` does nothing).
    func enableSnapshots(_ checkpointer: QuorumCheckpointer) {
        node.queue.sync { self.checkpointer = checkpointer }
    }

    /// Snapshots `image` once its zxid is committed (see `QuorumCheckpointer`).
    func checkpoint(_ image: ZKDatabase) {
        node.queue.async { [self] in
            guard !closed else { return }
            checkpointer?.offer(image, node: node)
        }
    }

    func close(completion: @escaping @Sendable () -> Void) {
        node.stop()
        node.queue.async { [self] in
            closed = true
            waiting = []
            completion()
        }
    }

    /// On the node's queue.
    private func handle(_ event: QuorumEvent) {
        switch event {
        case .committed(let entries):
            guard let last = entries.last else { return }
            committed = last.zxid
            // A leader's own proposals were applied when its processor decided them.
            let foreign = entries.filter { !(role == .leading(established: true) && $0.zxid.epoch == epoch) }
            var txns: [Txn] = []
            for entry in foreign {
                guard let txn = try? TxnCodec.decode(entry.payload) else {
                    return lose("committed transaction \(entry.zxid) does not decode")
                }
                txns.append(txn)
            }
            if !txns.isEmpty { apply(txns) }
            while let first = waiting.first, first.zxid <= committed {
                waiting.removeFirst()
                for effect in first.effects { effect.perform() }
            }
            checkpointer?.retry(node)
        case .roleChanged(let newRole, let newEpoch):
            if case .leading(established: true) = role, newRole != role {
                lose("no longer leading in epoch \(epoch)")
            }
            role = newRole
            epoch = newEpoch
            leadingEpoch.withLock { $0 = newRole == .leading(established: true) ? newEpoch : nil }
            host?.roleChanged(ServingMode(newRole))
        case .failed(let message):
            lose(message)
            host?.roleChanged(.looking)
        case .forwarded(let from, let payload):
            host?.forwarded(from: from, payload: payload)
        case .syncCompleted(let token):
            host?.syncCompleted(token: token)
        case .syncAborted(let tokens):
            host?.syncAborted(tokens: tokens)
        case .snapshotInstalled(let snapshot):
            // The follower's state was replaced: the processor reloads it.
            host?.snapshotInstalled(snapshot)
        }
    }

    /// Outstanding writes may or may not commit under the next leader: their effects never run.
    private func lose(_ reason: String) {
        waiting = []
        onLostLeadership(reason)
    }
}

extension QuorumCommitter: EnsembleLink {
    func forward(_ payload: [UInt8]) {
        node.queue.async { [self] in
            guard !closed else { return }
            node.forward(payload)
        }
    }

    func requestSync(token: UInt64) {
        node.queue.async { [self] in
            guard !closed else { return host?.syncAborted(tokens: [token]) ?? () }
            node.requestSync(token: token)
        }
    }
}

/// What the request processor hears from the ensemble besides committed transactions; called
/// on the node's queue, in order with `apply`.
protocol QuorumCommitterHost: AnyObject, Sendable {
    func roleChanged(_ mode: ServingMode)
    /// Leader: a follower's (or its own) forwarded request.
    func forwarded(from peer: PeerID, payload: [UInt8])
    func syncCompleted(token: UInt64)
    func syncAborted(tokens: [UInt64])
    /// A follower's sync replaced its state with the leader's snapshot (a `SnapshotFile`).
    func snapshotInstalled(_ snapshot: QuorumSnapshot)
}

extension ServingMode {
    /// A leader serves only once established: before that its history is not yet applied.
    init(_ role: QuorumRole) {
        switch role {
        case .looking, .leading(established: false): self = .looking
        case .following: self = .following
        case .leading(established: true): self = .leading
        }
    }
}
