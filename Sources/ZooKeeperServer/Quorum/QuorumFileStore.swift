import Glibc

/// The quorum's durable side on the real files, so an ensemble member's data directories are
/// a standalone node's (and Apache ZooKeeper's) layout:
///
/// - `dataLogDir/version-2/log.<zxid>`: the replicated entries, in `TxnLogFile`'s format (each
///   entry's payload is the encoded `Txn` with the entry's zxid, which recovery checks);
/// - `dataDir/version-2/snapshot.<zxid>`: snapshots, in `SnapshotFile`'s format (a
///   `QuorumSnapshot`'s data is such a file's bytes, so one from the leader is stored as is);
/// - `dataDir/version-2/quorumState`: the epochs and the vote (`QuorumStateFile`).
///
/// **Durability.** `append` writes to the page cache; `sync` (or `syncer`, off the queue)
/// fdatasyncs the current log file (`QuorumNode` calls it once per batch: group commit). Only the current file is ever
/// unsynced: a roll, a truncation or a snapshot install syncs it first. `truncate`, `install`
/// and `persist` are durable when they return. With zoo.cfg's `forceSync=no` appends are never
/// fsynced (as in ZooKeeper, whose `forceSync` covers every member's log): an acknowledged write
/// survives a process crash, not a machine's.
///
/// **Concurrency.** Like every `QuorumStore`, owned by its node's queue.
final class QuorumFileStore: QuorumStore, @unchecked Sendable {
    let dataDirectory: String
    let snapshotDirectory: String
    let logDirectory: String
    private let log: TxnLogFile
    private let forceSync: Bool

    /// What a node starts from: hand `persistent`, `snapshot` and `entries` to `QuorumPeer`.
    struct Contents: Sendable {
        var persistent: QuorumPersistentState
        /// The newest snapshot that reads back whole, nil when there is none.
        var snapshot: QuorumSnapshot?
        /// The state as of `snapshot` (the empty database without one). Not the entries: they
        /// reach the host again as the peer commits them (`QuorumEvent.committed`).
        var database: ZKDatabase
        /// The logged entries after the snapshot, all durable.
        var entries: [QuorumEntry]
        /// Snapshots skipped as unreadable, and torn log tails cut off, for the operator.
        var skippedSnapshots: [String] = []
        var truncated: [String] = []

        /// The last zxid the node holds: its last logged entry, else its snapshot's.
        var lastZxid: Zxid { entries.last?.zxid ?? snapshot?.zxid ?? .zero }
    }

    enum OpenError: Error, CustomStringConvertible {
        case state(QuorumStateFile.ReadError)
        case log(TxnLogFile.RecoveryError)

        var description: String {
            switch self {
            case .state(let error): "cannot read the quorum state: \(error)"
            case .log(let error): "cannot recover the transaction log: \(error)"
            }
        }
    }

    private init(dataDirectory: String, logDirectory: String, preAllocSizeKB: Int, forceSync: Bool) {
        self.dataDirectory = dataDirectory
        self.forceSync = forceSync
        snapshotDirectory = dataDirectory + "/" + StorageFiles.versionDirectory
        self.logDirectory = logDirectory
        log = TxnLogFile(directory: logDirectory, preAllocSizeKB: preAllocSizeKB)
    }

    /// Opens the store over zoo.cfg's `dataDir` and `dataLogDir` (the directories holding
    /// `version-2`), recovering what is there: a torn log tail is cut off, as at a standalone
    /// start. Appends then go to a new log file.
    static func open(
        dataDirectory: String, dataLogDirectory: String, preAllocSizeKB: Int = 65536, extendedTypes: Bool = false, forceSync: Bool = true
    ) throws(OpenError) -> (store: QuorumFileStore, contents: Contents) {
        let store = QuorumFileStore(
            dataDirectory: dataDirectory, logDirectory: dataLogDirectory + "/" + StorageFiles.versionDirectory, preAllocSizeKB: preAllocSizeKB,
            forceSync: forceSync)
        let persistent: QuorumPersistentState
        do throws(QuorumStateFile.ReadError) {
            persistent = try QuorumStateFile.read(dataDirectory: dataDirectory)
        } catch {
            throw .state(error)
        }
        var contents = Contents(persistent: persistent, snapshot: nil, database: ZKDatabase(extendedTypes: extendedTypes), entries: [])
        for file in StorageFiles.list(store.snapshotDirectory, prefix: "snapshot.").reversed() {
            do throws(SnapshotFile.LoadError) {
                let bytes: [UInt8]
                do throws(FileError) {
                    bytes = try FileHandle.open(file.path, flags: O_RDONLY).readAll()
                } catch {
                    throw .file(error)
                }
                contents.database = try SnapshotFile.decode(bytes, zxid: file.zxid, path: file.path, extendedTypes: extendedTypes)
                contents.snapshot = QuorumSnapshot(zxid: Zxid(value: file.zxid), data: bytes)
                break
            } catch {
                contents.skippedSnapshots.append("\(error)")
            }
        }
        let recovered: TxnLogFile.Recovered
        do throws(TxnLogFile.RecoveryError) {
            recovered = try TxnLogFile.recover(directory: store.logDirectory, after: contents.snapshot?.zxid.value ?? 0, keepPayloads: true)
        } catch {
            throw .log(error)
        }
        contents.entries = zip(recovered.txns, recovered.payloads).map { QuorumEntry(zxid: Zxid(value: $0.zxid), payload: $1) }
        contents.truncated = recovered.truncated.map { "\($0.path) at byte \($0.at)" }
        return (store, contents)
    }

    // MARK: QuorumStore

    func payloads(after: Zxid, through: Zxid) throws -> [QuorumEntry]? {
        try loggedEntries(after: after, through: through, anchored: false)
    }

    func append(_ entries: [QuorumEntry]) throws {
        try log.append(entries.map { (payload: $0.payload, zxid: $0.zxid.value) })
    }

    func sync() throws {
        try log.sync()
    }

    /// An fdatasync of the current file (the only one ever unsynced), which stays open while
    /// the returned call holds it, even if the log rolls meanwhile; nil with `forceSync=no`.
    func syncer() -> (@Sendable () throws -> Void)? {
        guard forceSync else { return nil }
        let file = log.currentFile
        return { try file?.syncData() }
    }

    func truncate(after zxid: Zxid) throws {
        try log.truncate(after: zxid.value)
    }

    /// Stores the leader's snapshot, then drops the whole log: the peer installs one only when
    /// it is ahead of everything logged, so recovery would skip those entries anyway, and they
    /// may be a history the leader does not share. The snapshot is durable before any log file
    /// goes, so a crash in between still recovers to the snapshot.
    func install(_ snapshot: QuorumSnapshot) throws {
        if !snapshot.data.isEmpty {
            _ = try SnapshotFile.write(bytes: snapshot.data, zxid: snapshot.zxid.value, to: snapshotDirectory)
        }
        try log.removeAll()
    }

    func persist(_ state: QuorumPersistentState) throws {
        try QuorumStateFile.write(state, dataDirectory: dataDirectory)
    }

    /// A snapshot now covers the log up to its zxid: later appends start a new file, so the
    /// files before it can be purged once enough newer snapshots exist (`Purge`).
    func compacted(to snapshot: QuorumSnapshot) throws {
        try log.roll()
    }

    // MARK: Reading back

    /// `snapshot.<zxid>` in `dataDir/version-2`: written by the checkpointer or by `install`,
    /// and kept by `Purge`, which never removes the newest snapshot.
    func holdsSnapshot(at zxid: Zxid) -> Bool {
        access(snapshotPath(zxid), F_OK) == 0
    }

    func snapshotBytes(at zxid: Zxid) throws -> [UInt8]? {
        guard holdsSnapshot(at: zxid) else { return nil }
        return try FileHandle.open(snapshotPath(zxid), flags: O_RDONLY).readAll()
    }

    private func snapshotPath(_ zxid: Zxid) -> String {
        snapshotDirectory + "/" + StorageFiles.snapshotName(zxid.value)
    }

    /// The logged entries in `(after, through]`, read from the files (for a DIFF to a follower
    /// whose last zxid is `after`), or nil when the logs no longer hold `after`: that follower
    /// needs the snapshot. Not `anchored`: whatever the files hold in the range (`after` may be
    /// a snapshot's zxid, which no record carries), for a caller that checks the zxids it gets.
    /// On the node's queue.
    func loggedEntries(after: Zxid, through: Zxid = Zxid(value: Int64.max), anchored: Bool = true) throws -> [QuorumEntry]? {
        try TxnLogFile.records(directory: logDirectory, after: after.value, through: through.value, anchored: anchored)?
            .map { QuorumEntry(zxid: Zxid(value: $0.zxid), payload: $0.payload) }
    }

    /// Syncs and closes the current log file.
    func close() throws {
        try log.close()
    }
}
