/// Start-up: the newest snapshot that reads back whole, then every logged transaction after
/// it, applied in order (as a replay: the snapshot may be a fuzzy one ZooKeeper wrote). A torn
/// log tail is truncated on the way (see `TxnLogFile.recover`).
enum Recovery {
    struct Report: Sendable {
        var snapshot: String?
        /// Snapshots that failed to read, newest first, with why.
        var skippedSnapshots: [String] = []
        var replayed = 0
        var truncated: [String] = []
    }

    enum Failure: Error, CustomStringConvertible {
        case log(TxnLogFile.RecoveryError)

        var description: String {
            switch self {
            case .log(let error): "cannot recover the transaction log: \(error)"
            }
        }
    }

    static func load(snapshotDirectory: String, logDirectory: String, extendedTypes: Bool) throws(Failure) -> (ZKDatabase, Report) {
        var report = Report()
        var database = ZKDatabase(extendedTypes: extendedTypes)
        for snapshot in StorageFiles.list(snapshotDirectory, prefix: "snapshot.").reversed() {
            do {
                database = try SnapshotFile.read(snapshot.path, extendedTypes: extendedTypes)
                report.snapshot = snapshot.path
                break
            } catch {
                report.skippedSnapshots.append("\(error)")
            }
        }
        let recovered: TxnLogFile.Recovered
        do {
            recovered = try TxnLogFile.recover(directory: logDirectory, after: database.lastZxid)
        } catch {
            throw .log(error)
        }
        for txn in recovered.txns { database.apply(txn, replaying: true) }
        report.replayed = recovered.txns.count
        report.truncated = recovered.truncated.map { "\($0.path) at byte \($0.at)" }
        return (database, report)
    }
}

/// `autopurge`: keeps the newest `retain` snapshots and the log files still needed to replay
/// from the oldest of them; deletes older ones (ZooKeeper's `PurgeTxnLog`). As in ZooKeeper,
/// only snapshots that end with their seal count as kept, so a damaged newest snapshot never
/// costs the older one recovery would fall back to.
enum Purge {
    static func run(snapshotDirectory: String, logDirectory: String, retain: Int) -> [String] {
        let snapshots = StorageFiles.list(snapshotDirectory, prefix: "snapshot.")
        guard retain > 0 else { return [] }
        let complete = snapshots.filter { SnapshotFile.isSealed($0.path) }
        guard complete.count >= retain, let oldestKept = complete.suffix(retain).first?.zxid else { return [] }
        var removed: [String] = []
        for snapshot in snapshots where snapshot.zxid < oldestKept && (try? FileSystem.remove(snapshot.path)) != nil {
            removed.append(snapshot.path)
        }
        // A log file is needed if it may hold zxids above the oldest kept snapshot: every file
        // from the last one starting at or below it.
        let logs = StorageFiles.list(logDirectory, prefix: "log.")
        if let firstNeeded = logs.lastIndex(where: { $0.zxid <= oldestKept + 1 }) {
            for log in logs[..<firstNeeded] where (try? FileSystem.remove(log.path)) != nil {
                removed.append(log.path)
            }
        }
        return removed
    }
}
