import Foundation
import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

@Suite struct PurgeTests {
    /// Five rounds of (10 transactions, snapshot + roll): snapshots at 0xa, 0x14, ... 0x32, and
    /// log files starting at 1, 0xb, 0x15, 0x1f, 0x29, 0x33.
    private func build(_ store: ZKStore) throws {
        for round in 0..<5 {
            for index in 0..<10 {
                try store.commit(zkCreate("/r\(round)-\(index)", parentCVersion: Int32(round * 10 + index + 1)))
            }
            try store.snapshot()
        }
        try store.commit(zkCreate("/tail", parentCVersion: 51))
        try store.log.sync()
    }

    @Test func keepsTheNewestSnapshotsAndTheLogsTheyNeed() throws {
        let store = ZKStore("purge")
        defer { store.remove() }
        try build(store)
        #expect(store.snapshotFiles.count == 5 && store.logFiles.count == 6)
        let removed = Purge.run(snapshotDirectory: store.dir.snapshots, logDirectory: store.dir.logs, retain: 3)
        #expect(Set(store.dir.names(in: store.dir.snapshots)) == ["snapshot.1e", "snapshot.28", "snapshot.32"])
        // The oldest kept snapshot is 0x1e; its replay starts at 0x1f, the first record of log.1f.
        #expect(Set(store.dir.names(in: store.dir.logs)) == ["log.1f", "log.29", "log.33"])
        #expect(removed.count == 5)

        // Every kept snapshot still recovers to the full state.
        let (database, _) = try store.recover()
        zkExpectSameState(database, store.database)
        for snapshot in store.snapshotFiles.dropLast() { try FileManager.default.removeItem(atPath: snapshot) }
        let (fromOldest, report) = try Recovery.load(snapshotDirectory: store.dir.snapshots, logDirectory: store.dir.logs, extendedTypes: true)
        #expect(report.snapshot?.hasSuffix("snapshot.32") == true)
        zkExpectSameState(fromOldest, store.database)
    }

    @Test func aLogStraddlingTheOldestKeptSnapshotIsKept() throws {
        let store = ZKStore("purge-straddle")
        defer { store.remove() }
        for index in 0..<10 { try store.commit(zkCreate("/a\(index)", parentCVersion: Int32(index + 1))) }
        // Snapshots without rolling: one log file holds everything.
        for _ in 0..<4 {
            try store.commit(zkCreate("/s\(store.database.lastZxid)", parentCVersion: Int32(store.database.lastZxid + 1)))
            _ = try SnapshotFile.write(store.database, to: store.dir.snapshots)
        }
        try store.log.sync()
        _ = Purge.run(snapshotDirectory: store.dir.snapshots, logDirectory: store.dir.logs, retain: 3)
        #expect(store.snapshotFiles.count == 3)
        #expect(store.logFiles.count == 1, "log.1 holds what the kept snapshots need")
        for snapshot in store.snapshotFiles.dropFirst() { try FileManager.default.removeItem(atPath: snapshot) }
        let (database, _) = try Recovery.load(snapshotDirectory: store.dir.snapshots, logDirectory: store.dir.logs, extendedTypes: true)
        zkExpectSameState(database, store.database)
    }

    @Test func damagedSnapshotsDoNotCountAsKept() throws {
        let store = ZKStore("purge-damaged")
        defer { store.remove() }
        try build(store)
        // The two newest snapshots are cut short (a disk that lost their ends).
        for snapshot in store.snapshotFiles.suffix(2) {
            store.dir.write(Array(store.dir.bytes(snapshot).dropLast(3)), to: snapshot)
        }
        _ = Purge.run(snapshotDirectory: store.dir.snapshots, logDirectory: store.dir.logs, retain: 3)
        // Three sealed snapshots remain (0xa, 0x14, 0x1e): nothing older than 0xa to delete,
        // where counting the damaged ones would have removed 0xa and 0x14.
        #expect(Set(store.dir.names(in: store.dir.snapshots)) == ["snapshot.a", "snapshot.14", "snapshot.1e", "snapshot.28", "snapshot.32"])
        #expect(Set(store.dir.names(in: store.dir.logs)) == ["log.b", "log.15", "log.1f", "log.29", "log.33"])
        let (database, report) = try store.recover()
        #expect(report.snapshot?.hasSuffix("snapshot.1e") == true && report.skippedSnapshots.count == 2)
        zkExpectSameState(database, store.database)
    }

    @Test func fewerSnapshotsThanRetainedRemovesNothing() throws {
        let store = ZKStore("purge-few")
        defer { store.remove() }
        try store.commit(zkCreate("/a", parentCVersion: 1))
        try store.snapshot()
        try store.commit(zkCreate("/b", parentCVersion: 2))
        try store.log.sync()
        #expect(Purge.run(snapshotDirectory: store.dir.snapshots, logDirectory: store.dir.logs, retain: 3).isEmpty)
        #expect(Purge.run(snapshotDirectory: store.dir.snapshots, logDirectory: store.dir.logs, retain: 0).isEmpty)
        #expect(store.snapshotFiles.count == 1 && store.logFiles.count == 2)
    }
}
