import Dispatch

/// What makes transactions durable before their effects are released: the seam between the
/// request processor (which decides and applies transactions) and the replicated log. The
/// standalone node's is `LocalCommitLog`, an fsynced local log; an ensemble's makes a
/// transaction durable on a quorum.
///
/// **Ordering contract.** Effects run in submission order, each batch only after every
/// transaction submitted with or before it is durable. A batch without transactions still
/// waits its turn.
protocol TxnCommitter: AnyObject, Sendable {
    func submit(_ txns: [Txn], effects: [Effect])
    /// Effects that depend on no transaction this node decided: a follower's replies, made
    /// from state that holds only committed transactions. They run after the effects submitted
    /// before them, without waiting for the log to be durable.
    func release(_ effects: [Effect])
    /// After the transactions submitted so far are durable: start a new log file and write
    /// `image` (the database as of those transactions) as a snapshot, in the background.
    func checkpoint(_ image: ZKDatabase)
    /// Makes everything durable, runs the remaining effects, closes files.
    func close(completion: @escaping @Sendable () -> Void)
    /// The zxid the transaction after `last` gets. Called on the processor's queue; an
    /// ensemble's leader starts each new epoch at counter 1.
    func nextZxid(after last: Int64) -> Int64
}

extension TxnCommitter {
    /// A standalone log numbers transactions one after another.
    func nextZxid(after last: Int64) -> Int64 { last + 1 }

    /// Where every reply may have seen an unsynced write (a standalone node applies before its
    /// fsync), they wait their turn like any batch.
    func release(_ effects: [Effect]) { submit([], effects: effects) }
}

/// The standalone node's committer: `TxnLogFile` on its own serial queue with group commit.
///
/// Each `submit` writes its transactions at once (page cache) and queues its effects; a sync
/// task queued behind them fsyncs once for everything written meanwhile and then releases
/// every waiting batch in order. While an fsync runs, new batches pile up and share the next
/// one, so the fsync rate, not the request rate, bounds the work.
final class LocalCommitLog: TxnCommitter, @unchecked Sendable {
    private let queue = DispatchQueue(label: "petrel.zookeeper.txnlog", qos: .userInitiated)
    private let snapshotQueue = DispatchQueue(label: "petrel.zookeeper.snapshot", qos: .utility)
    private let log: TxnLogFile
    private let snapshotDirectory: String
    private let forceSync: Bool
    private let report: @Sendable (String) -> Void
    /// Called once if the log cannot be written: the node must stop (as ZooKeeper exits).
    private let onFatal: @Sendable (String) -> Void
    // Queue-owned state.
    private var waiting: [[Effect]] = []
    private var unsynced = false
    private var syncScheduled = false
    private var failed = false
    private var closed = false

    init(
        log: TxnLogFile, snapshotDirectory: String, forceSync: Bool, report: @escaping @Sendable (String) -> Void,
        onFatal: @escaping @Sendable (String) -> Void
    ) {
        self.log = log
        self.snapshotDirectory = snapshotDirectory
        self.forceSync = forceSync
        self.report = report
        self.onFatal = onFatal
    }

    func submit(_ txns: [Txn], effects: [Effect]) {
        queue.async { [self] in
            guard !failed, !closed else { return }
            for txn in txns {
                do {
                    try log.append(TxnCodec.encode(txn), zxid: txn.zxid)
                } catch {
                    return fail("cannot append to the transaction log: \(error)")
                }
                unsynced = true
            }
            if effects.isEmpty && txns.isEmpty { return }
            if waiting.isEmpty && !unsynced {
                for effect in effects { effect.perform() }
                return
            }
            waiting.append(effects)
            scheduleSync()
        }
    }

    func checkpoint(_ image: ZKDatabase) {
        queue.async { [self] in
            guard !failed, !closed else { return }
            syncAndRelease()
            do {
                try log.roll()
            } catch {
                return fail("cannot roll the transaction log: \(error)")
            }
            let directory = snapshotDirectory
            let report = self.report
            snapshotQueue.async {
                let started = ContinuousClock.now
                do {
                    let path = try SnapshotFile.write(image, to: directory)
                    report("snapshot \(path) written in \(ContinuousClock.now - started)")
                } catch {
                    report("snapshot at zxid 0x\(String(image.lastZxid, radix: 16)) failed: \(error)")
                }
            }
        }
    }

    func close(completion: @escaping @Sendable () -> Void) {
        queue.async { [self] in
            if !failed && !closed {
                syncAndRelease()
                try? log.close()
            }
            closed = true
            snapshotQueue.async { completion() }
        }
    }

    private func scheduleSync() {
        guard !syncScheduled else { return }
        syncScheduled = true
        queue.async { [self] in
            syncScheduled = false
            syncAndRelease()
        }
    }

    private func syncAndRelease() {
        guard !failed else { return }
        if unsynced {
            if forceSync {
                do {
                    try log.sync()
                } catch {
                    return fail("cannot sync the transaction log: \(error)")
                }
            }
            unsynced = false
        }
        let batches = waiting
        waiting = []
        for batch in batches {
            for effect in batch { effect.perform() }
        }
    }

    /// Nothing after this point may be acknowledged: drop what waits and stop the node.
    private func fail(_ message: String) {
        failed = true
        waiting = []
        onFatal(message)
    }
}
