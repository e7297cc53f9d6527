import Glibc

/// Cutting the log back and reading it by zxid: what an ensemble member needs besides
/// appending (a TRUNC from its leader, and DIFFs it sends its followers as leader).
extension TxnLogFile {
    /// Removes every record after `zxid`, durably: later files are deleted, newest first, the
    /// directory synced after each (so a crash never brings back a later file without the ones
    /// before it: the log stays a prefix, never a log with a hole), then the file holding
    /// `zxid` (or the last record below it) is cut right after it. The current file is closed
    /// first; the next append opens `log.<its zxid>`.
    func truncate(after zxid: Int64) throws(RecoveryError) {
        do {
            try roll()
        } catch {
            throw .file(error)
        }
        let files = StorageFiles.list(directory, prefix: "log.")
        do throws(FileError) {
            for file in files.reversed() {
                // A file is named by its first zxid: one named above `zxid` holds nothing to keep.
                if file.zxid > zxid {
                    try FileSystem.remove(file.path)
                    try FileSystem.syncDirectory(directory)
                    continue
                }
                let handle = try FileHandle.open(file.path, flags: O_RDWR)
                let bytes = try handle.readAll()
                if bytes.isEmpty { break }
                let scan = TxnLogScan(bytes, after: Int64.min, previous: Int64.min)
                // Cut at the first record above `zxid`; a damaged tail goes too (nothing after
                // it can be read back, and what follows the cut must be a clean end).
                let cut = scan.records.first { $0.txn.zxid > zxid }?.offset ?? (scan.damage == nil ? nil : scan.end)
                if let cut {
                    try handle.truncate(to: cut)
                    try handle.sync()
                }
                break
            }
        } catch {
            throw .file(error)
        }
    }

    /// Deletes every log file, durably (a snapshot from the leader replaced the whole log).
    func removeAll() throws(FileError) {
        try roll()
        for file in StorageFiles.list(directory, prefix: "log.") { try FileSystem.remove(file.path) }
        if FileSystem.isDirectory(directory) { try FileSystem.syncDirectory(directory) }
    }

    /// The logged records in `(after, through]` as (zxid, stored bytes), or nil when the log
    /// does not hold the record `after` itself: then it cannot show that the reader's history
    /// matches its own up to there, and the reader needs a snapshot instead (as ZooKeeper's
    /// leader sends SNAP when its logs start after the follower's last zxid). Not `anchored`:
    /// whatever the files hold in the range, for a caller that checks the zxids itself. Reads
    /// what was appended, durable or not: call it on the writer's queue.
    static func records(
        directory: String, after: Int64, through: Int64 = Int64.max, anchored: Bool = true
    ) throws(RecoveryError) -> [(zxid: Int64, payload: [UInt8])]? {
        let files = StorageFiles.list(directory, prefix: "log.")
        guard let first = files.lastIndex(where: { $0.zxid <= after }) ?? (anchored || files.isEmpty ? nil : 0) else { return nil }
        var found = !anchored
        var result: [(zxid: Int64, payload: [UInt8])] = []
        var lastZxid = Int64.min
        for file in files[first...] {
            let bytes: [UInt8]
            do {
                bytes = try FileHandle.open(file.path, flags: O_RDONLY).readAll()
            } catch {
                throw .file(error)
            }
            if bytes.isEmpty { continue }
            let scan = TxnLogScan(bytes, after: Int64.min, previous: lastZxid)
            for record in scan.records {
                let zxid = record.txn.zxid
                if zxid == after { found = true }
                if zxid > after && zxid <= through { result.append((zxid, Array(record.payload))) }
            }
            lastZxid = scan.records.last?.txn.zxid ?? lastZxid
            // A torn tail in the newest file is where the log ends; anywhere else it is damage.
            if let damage = scan.damage, file.path != files.last?.path {
                throw .corrupt(path: file.path, offset: scan.end, reason: damage)
            }
            if lastZxid >= through { break }
        }
        return found ? result : nil
    }
}
