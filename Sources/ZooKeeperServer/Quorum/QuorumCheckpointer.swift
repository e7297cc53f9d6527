import Dispatch
import Glibc

/// Snapshots for an ensemble member, behind `QuorumCommitter.checkpoint`: writes the image as
/// a `SnapshotFile` in the background, then compacts the node's log to it (the peer drops the
/// entries it covers and sends it to followers that lag further behind: SNAP) and purges the
/// files that `autopurge.snapRetainCount` no longer keeps (`Purge`: the newest snapshots and
/// every log file needed to replay from the oldest of them).
///
/// Only committed state may become a snapshot: a leader's processor applies its transactions
/// before they commit, so an image waits (the newest one replacing an older) until its zxid is
/// committed and still in the node's log; one whose zxid a new leader cut away never qualifies.
/// One snapshot is written at a time.
///
/// **Concurrency.** `offer` and `retry` run on the node's queue, which owns `pending` and
/// `writing`; the file work runs on the checkpointer's own queue.
final class QuorumCheckpointer: @unchecked Sendable {
    let snapshotDirectory: String
    let logDirectory: String
    /// `autopurge.snapRetainCount`; 0 keeps every file.
    let retain: Int
    private let report: @Sendable (String) -> Void
    private let queue = DispatchQueue(label: "petrel.zookeeper.quorum.snapshot", qos: .utility)
    // Owned by the node's queue.
    private var pending: ZKDatabase?
    private var writing = false

    init(snapshotDirectory: String, logDirectory: String, retain: Int, report: @escaping @Sendable (String) -> Void) {
        self.snapshotDirectory = snapshotDirectory
        self.logDirectory = logDirectory
        self.retain = retain
        self.report = report
    }

    convenience init(store: QuorumFileStore, retain: Int, report: @escaping @Sendable (String) -> Void) {
        self.init(snapshotDirectory: store.snapshotDirectory, logDirectory: store.logDirectory, retain: retain, report: report)
    }

    /// On the node's queue: snapshot `image` as soon as its zxid is committed.
    func offer(_ image: ZKDatabase, node: QuorumNode) {
        pending = image
        retry(node)
    }

    /// On the node's queue, after each commit: starts the waiting snapshot if it may be taken.
    func retry(_ node: QuorumNode) {
        guard !writing, let image = pending else { return }
        let zxid = Zxid(value: image.lastZxid)
        guard node.canCompact(to: zxid) else { return }
        pending = nil
        writing = true
        queue.async { [self] in
            let started = ContinuousClock.now
            let result = write(image)
            if case .success(let snapshot) = result {
                report("snapshot of zxid \(snapshot.zxid) written in \(ContinuousClock.now - started)")
            }
            node.queue.async { [self] in
                writing = false
                switch result {
                case .success(let snapshot):
                    node.compact(to: snapshot)
                    queue.async { [self] in
                        for path in Purge.run(snapshotDirectory: snapshotDirectory, logDirectory: logDirectory, retain: retain) {
                            report("purged \(path)")
                        }
                    }
                case .failure(let error):
                    report("snapshot at zxid \(zxid) failed: \(error)")
                }
                retry(node)
            }
        }
    }

    /// The snapshot file, durably. The peer keeps only its zxid: a SNAP reads the file
    /// (`QuorumFileStore.snapshotBytes`), so the bytes are not read back here.
    private func write(_ image: ZKDatabase) -> Result<QuorumSnapshot, FileError> {
        do throws(FileError) {
            _ = try SnapshotFile.write(image, to: snapshotDirectory)
            return .success(QuorumSnapshot(zxid: Zxid(value: image.lastZxid), data: []))
        } catch {
            return .failure(error)
        }
    }
}
