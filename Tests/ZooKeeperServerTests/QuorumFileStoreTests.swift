import Foundation
import Testing

@testable import ZooKeeperServer

/// `QuorumFileStore` on real directories: what it reports durable survives a reopen, with or
/// without a clean close; truncation, snapshot installs and DIFF reads work across log files.
@Suite struct QuorumFileStoreTests {
    /// A store over `<dir>/data` and `<dir>/log` (so `dir.snapshots` and `dir.logs` are its
    /// version-2 directories), with small preallocation.
    static func open(_ dir: ZKTempDir, forceSync: Bool = true) throws -> (store: QuorumFileStore, contents: QuorumFileStore.Contents) {
        try QuorumFileStore.open(dataDirectory: dir.path + "/data", dataLogDirectory: dir.path + "/log", preAllocSizeKB: 4, forceSync: forceSync)
    }

    /// An entry whose payload is a real transaction with its zxid, as the committer makes them.
    static func entry(_ epoch: UInt32, _ counter: UInt32) -> QuorumEntry {
        let zxid = Zxid(epoch: epoch, counter: counter)
        return QuorumEntry(zxid: zxid, payload: TxnCodec.encode(zkTxn(zxid.value, .setData(path: "/a", data: [UInt8(counter & 0xff)], version: 0))))
    }

    static func entries(_ epoch: UInt32, _ counters: ClosedRange<UInt32>) -> [QuorumEntry] {
        counters.map { entry(epoch, $0) }
    }

    static func logNames(_ dir: ZKTempDir) -> [String] {
        dir.names(in: dir.logs).filter { $0.hasPrefix("log.") }
    }

    /// zoo.cfg's `forceSync=no` holds for an ensemble member's log as for a standalone node's:
    /// nothing to fsync, and what was appended is still there after a reopen.
    @Test func withoutForceSyncThereIsNothingToSyncAndAppendsSurviveAReopen() throws {
        let dir = ZKTempDir("quorum-store-nosync")
        defer { dir.remove() }
        do {
            let (synced, _) = try Self.open(dir)
            #expect(synced.syncer() != nil)
        }
        let (store, _) = try Self.open(dir, forceSync: false)
        #expect(store.syncer() == nil)
        try store.append(Self.entries(1, 1...3))
        let (_, contents) = try Self.open(dir, forceSync: false)
        #expect(contents.entries.map(\.zxid) == Self.entries(1, 1...3).map(\.zxid))
    }

    @Test func appendedEntriesAndTheStateSurviveAReopen() throws {
        let dir = ZKTempDir("quorum-store")
        defer { dir.remove() }
        let (store, fresh) = try Self.open(dir)
        #expect(fresh.entries.isEmpty && fresh.snapshot == nil && fresh.persistent == QuorumPersistentState() && fresh.lastZxid == .zero)
        let written = Self.entries(1, 1...5)
        try store.append(Array(written[..<2]))
        try store.append(Array(written[2...]))
        try store.sync()
        let state = QuorumPersistentState(acceptedEpoch: 2, votedFor: 3, currentEpoch: 1)
        try store.persist(state)
        try store.close()

        let (_, reopened) = try Self.open(dir)
        #expect(reopened.entries == written)
        #expect(reopened.persistent == state)
        #expect(reopened.lastZxid == Zxid(epoch: 1, counter: 5))
        #expect(reopened.truncated.isEmpty && reopened.snapshot == nil)
        // Standalone recovery reads the same directories: they are one format.
        let (database, report) = try Recovery.load(snapshotDirectory: dir.snapshots, logDirectory: dir.logs, extendedTypes: false)
        #expect(report.replayed == 5 && database.lastZxid == Zxid(epoch: 1, counter: 5).value)
    }

    @Test func aCrashWithoutCloseKeepsEverythingReportedDurable() throws {
        let dir = ZKTempDir("quorum-store-crash")
        defer { dir.remove() }
        let written = Self.entries(1, 1...8)
        do {
            let (store, _) = try Self.open(dir)
            try store.append(Array(written[..<5]))
            try store.sync()
            // Appended, never synced, and the store is dropped without a close: a crash.
            try store.append(Array(written[5...]))
        }
        // The crash tore the last record: its end marker never reached the disk.
        let file = dir.logs + "/" + StorageFiles.logName(Zxid(epoch: 1, counter: 1).value)
        var bytes = dir.bytes(file)
        let scan = TxnLogScan(bytes, after: 0, previous: 0)
        #expect(scan.records.count == 8)
        bytes[scan.end - 1] = 0
        dir.write(bytes, to: file)

        let (store, contents) = try Self.open(dir)
        #expect(contents.entries == Array(written[..<7]))
        #expect(contents.truncated.count == 1)
        // The log goes on after the cut, in a new file.
        let next = Self.entry(2, 1)
        try store.append([next])
        try store.sync()
        let (_, again) = try Self.open(dir)
        #expect(again.entries == Array(written[..<7]) + [next])
        #expect(Self.logNames(dir) == ["log.100000001", "log.200000001"])
    }

    @Test func aTornTailOnReopenIsCutAtTheLastWholeRecord() throws {
        let dir = ZKTempDir("quorum-store-torn")
        defer { dir.remove() }
        let (store, _) = try Self.open(dir)
        try store.append(Self.entries(1, 1...3))
        try store.sync()
        try store.close()
        // Half a record header after the last record.
        let file = dir.logs + "/log.100000001"
        var bytes = dir.bytes(file)
        let end = TxnLogScan(bytes, after: 0, previous: 0).end
        bytes.replaceSubrange(end..<(end + 6), with: [0, 0, 0, 0, 0x12, 0x34])
        dir.write(bytes, to: file)

        let (_, contents) = try Self.open(dir)
        #expect(contents.entries == Self.entries(1, 1...3))
        #expect(contents.truncated == ["\(file) at byte \(end)"])
        #expect(dir.bytes(file).count == end)
    }

    @Test func truncateInTheMiddleOfAFileKeepsWhatPrecedesAndAppendsAfterIt() throws {
        let dir = ZKTempDir("quorum-store-trunc")
        defer { dir.remove() }
        let (store, _) = try Self.open(dir)
        try store.append(Self.entries(1, 1...6))
        try store.sync()
        try store.truncate(after: Zxid(epoch: 1, counter: 3))
        // Durable at once: a reopen (even after a crash) sees the cut log.
        #expect(try Self.open(dir).contents.entries == Self.entries(1, 1...3))
        let next = Self.entries(2, 1...2)
        try store.append(next)
        try store.sync()
        let (_, contents) = try Self.open(dir)
        #expect(contents.entries == Self.entries(1, 1...3) + next)
        #expect(Self.logNames(dir) == ["log.100000001", "log.200000001"])
    }

    @Test func truncateAcrossFilesDeletesTheLaterOnes() throws {
        let dir = ZKTempDir("quorum-store-trunc-files")
        defer { dir.remove() }
        let (store, _) = try Self.open(dir)
        // Three files: 1...3, 4...6, 7...9 (a compaction rolls the log).
        for range: ClosedRange<UInt32> in [1...3, 4...6, 7...9] {
            try store.append(Self.entries(1, range))
            try store.compacted(to: QuorumSnapshot(zxid: Zxid(epoch: 1, counter: range.upperBound), data: []))
        }
        #expect(Self.logNames(dir) == ["log.100000001", "log.100000004", "log.100000007"])
        try store.truncate(after: Zxid(epoch: 1, counter: 5))
        #expect(Self.logNames(dir) == ["log.100000001", "log.100000004"])
        #expect(try Self.open(dir).contents.entries == Self.entries(1, 1...5))
        // Cutting at a file's last record leaves it whole; before everything, nothing is left.
        try store.truncate(after: Zxid(epoch: 1, counter: 3))
        #expect(Self.logNames(dir) == ["log.100000001"])
        #expect(try Self.open(dir).contents.entries == Self.entries(1, 1...3))
        try store.truncate(after: .zero)
        #expect(Self.logNames(dir).isEmpty)
        #expect(try Self.open(dir).contents.entries.isEmpty)
    }

    /// A database of three creates (zxids 1...3) and its snapshot file's bytes.
    static func snapshot(_ dir: ZKTempDir) throws -> (database: ZKDatabase, snapshot: QuorumSnapshot) {
        var database = ZKDatabase(extendedTypes: false)
        database.next(zkCreate("/a", "one", parentCVersion: 1))
        database.next(zkCreate("/b", "two", parentCVersion: 2))
        database.next(.createSession(timeout: 30_000), session: 0x77)
        let path = try SnapshotFile.write(database, to: dir.path + "/elsewhere")
        return (database, QuorumSnapshot(zxid: Zxid(value: database.lastZxid), data: dir.bytes(path)))
    }

    @Test func anInstalledSnapshotReplacesTheLogAndTheLogGoesOnAfterIt() throws {
        let dir = ZKTempDir("quorum-store-install")
        defer { dir.remove() }
        let (database, snapshot) = try Self.snapshot(dir)
        let (store, _) = try Self.open(dir)
        let state = QuorumPersistentState(acceptedEpoch: 1, votedFor: 2, currentEpoch: 0)
        try store.persist(state)
        // A history the leader does not share, all below the snapshot.
        try store.append([Self.entry(0, 1), Self.entry(0, 2)])
        try store.sync()
        try store.install(snapshot)
        #expect(Self.logNames(dir).isEmpty)
        #expect(dir.names(in: dir.snapshots).contains("snapshot.3"))
        let after = [4, 5].map { counter in
            QuorumEntry(zxid: Zxid(value: counter), payload: TxnCodec.encode(zkTxn(counter, .setData(path: "/a", data: [1], version: 0))))
        }
        try store.append(after)
        try store.sync()

        let (_, contents) = try Self.open(dir)
        #expect(contents.snapshot == snapshot)
        zkExpectSameState(contents.database, database)
        #expect(contents.entries == after)
        #expect(contents.persistent == state)
        #expect(contents.lastZxid == Zxid(value: 5))
    }

    @Test func diffReadsSpanFilesAndNeedTheFollowersLastZxidInTheLog() throws {
        let dir = ZKTempDir("quorum-store-diff")
        defer { dir.remove() }
        let (store, _) = try Self.open(dir)
        for range: ClosedRange<UInt32> in [1...3, 4...6] {
            try store.append(Self.entries(1, range))
            try store.compacted(to: QuorumSnapshot(zxid: Zxid(epoch: 1, counter: range.upperBound), data: []))
        }
        // The newest file's entries are read back before they are synced.
        try store.append(Self.entries(2, 1...3))
        let all = Self.entries(1, 1...6) + Self.entries(2, 1...3)
        #expect(try store.loggedEntries(after: Zxid(epoch: 1, counter: 2)) == Array(all[2...]))
        #expect(try store.loggedEntries(after: Zxid(epoch: 1, counter: 5), through: Zxid(epoch: 2, counter: 2)) == Array(all[5...7]))
        #expect(try store.loggedEntries(after: Zxid(epoch: 2, counter: 3)) == [])
        // Not in the log: below its start, or a zxid it never held (the follower's own history).
        #expect(try store.loggedEntries(after: .zero) == nil)
        #expect(try store.loggedEntries(after: Zxid(epoch: 1, counter: 7)) == nil)
        #expect(try store.loggedEntries(after: Zxid(epoch: 2, counter: 4)) == nil)
        // Once the oldest file is purged, a follower that far behind needs the snapshot.
        try FileSystem.remove(dir.logs + "/log.100000001")
        #expect(try store.loggedEntries(after: Zxid(epoch: 1, counter: 2)) == nil)
        #expect(try store.loggedEntries(after: Zxid(epoch: 1, counter: 4)) == Array(all[4...]))
    }
}
