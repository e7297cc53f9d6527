import Dispatch

/// The ensemble's `TxnCommitter` (a first cut): transactions decided by this node's request
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
/// **Not yet done** (the next steps, in order): the processor numbering transactions through
/// the committer (a new epoch starts at counter 1, not at `lastZxid + 1`: any other zxid stops
/// the node here); followers forwarding writes and session touches and applying what `apply`
/// hands them, answering their own clients' requests as those commit; and peer connections on
/// the quorum and election ports.
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
    private var checkpointer: QuorumCheckpointer?

    init(node: QuorumNode, apply: @escaping @Sendable ([Txn]) -> Void, onLostLeadership: @escaping @Sendable (String) -> Void) {
        self.node = node
        self.apply = apply
        self.onLostLeadership = onLostLeadership
        node.listen { [weak self] event in self?.handle(event) }
    }

    func submit(_ txns: [Txn], effects: [Effect]) {
        node.queue.async { [self] in
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
        case .failed(let message):
            lose(message)
        case .snapshotInstalled, .forwarded, .syncCompleted, .syncAborted:
            break
        }
    }

    /// Outstanding writes may or may not commit under the next leader: their effects never run.
    private func lose(_ reason: String) {
        waiting = []
        onLostLeadership(reason)
    }
}
