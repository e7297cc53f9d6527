import Foundation
import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

@Suite struct RecoveryTests {
    private func work(_ store: ZKStore, from: Int, to: Int) throws {
        for index in from..<to {
            let path = "/k\(index % 7)"
            if store.database.tree.node(path) == nil {
                let parent = try #require(store.database.tree.node("/"))
                try store.commit(zkCreate(path, "v\(index)", parentCVersion: parent.cversion + 1))
            } else if index % 3 == 0 {
                try store.commit(.delete(path: path))
            } else {
                let version = try #require(store.database.tree.node(path)).version + 1
                try store.commit(.setData(path: path, data: Array("v\(index)".utf8), version: version))
            }
        }
    }

    @Test func aSnapshotPlusTheLogsAfterIt() throws {
        let store = ZKStore("recovery")
        defer { store.remove() }
        try work(store, from: 0, to: 30)
        try store.snapshot()
        try work(store, from: 30, to: 45)
        let (database, report) = try store.recover()
        #expect(report.snapshot == store.dir.snapshots + "/snapshot.1e")
        #expect(report.replayed == 15 && report.skippedSnapshots.isEmpty)
        zkExpectSameState(database, store.database)
    }

    @Test func aCorruptLatestSnapshotFallsBackToAnOlderOneAndTheLogs() throws {
        let store = ZKStore("recovery-fallback")
        defer { store.remove() }
        try work(store, from: 0, to: 20)
        let older = try store.snapshot()
        try work(store, from: 20, to: 40)
        let newer = try store.snapshot()
        try work(store, from: 40, to: 50)
        var bytes = store.dir.bytes(newer)
        bytes[bytes.count / 2] ^= 0xFF
        store.dir.write(bytes, to: newer)
        let (database, report) = try store.recover()
        #expect(report.snapshot == older)
        #expect(report.skippedSnapshots.count == 1)
        #expect(report.replayed == 30)
        zkExpectSameState(database, store.database)
    }

    @Test func noUsableSnapshotReplaysEverythingFromTheStart() throws {
        let store = ZKStore("recovery-nosnap")
        defer { store.remove() }
        try work(store, from: 0, to: 25)
        let only = try store.snapshot()
        try work(store, from: 25, to: 30)
        store.dir.write(Array(store.dir.bytes(only).prefix(40)), to: only)
        let (database, report) = try store.recover()
        #expect(report.snapshot == nil && report.replayed == 30)
        zkExpectSameState(database, store.database)
    }

    /// The committer hands the snapshot writer an image while appends go on; the image is of
    /// one zxid, and replaying the logs after it gives the state the node reached.
    @Test func aSnapshotWrittenWhileTransactionsContinue() throws {
        let store = ZKStore("recovery-concurrent")
        defer { store.remove() }
        try work(store, from: 0, to: 20)
        try store.log.roll()
        let image = store.database
        try work(store, from: 20, to: 35)
        _ = try SnapshotFile.write(image, to: store.dir.snapshots)
        try work(store, from: 35, to: 40)
        let (database, report) = try store.recover()
        #expect(report.replayed == 20)
        zkExpectSameState(database, store.database)
    }

    /// ZooKeeper's snapshots are fuzzy: they may hold changes newer than the zxid they are
    /// named by, so replay must be idempotent. An image of zxid 40 labelled 25 replays 26...
    /// onto state that already has them and must still end where the node did.
    @Test(arguments: [1, 5, 15, 39])
    func replayOntoAFuzzySnapshotIsIdempotent(overlap: Int) throws {
        let store = ZKStore("recovery-fuzzy")
        defer { store.remove() }
        try store.commit(.createSession(timeout: 9000), session: 0x9)
        try store.commit(zkCreate("/eph", owner: 0x9, parentCVersion: 1), session: 0x9)
        try work(store, from: 0, to: 20)
        try store.commit(.multi([zkCreate("/m", parentCVersion: 30), zkCreate("/m/x", parentCVersion: 1)]))
        try work(store, from: 20, to: 37)
        try store.commit(.closeSession, session: 0x9)
        let fuzzy = ZKDatabase(tree: store.database.tree, sessions: store.database.sessions, lastZxid: store.database.lastZxid - Int64(overlap))
        try store.log.roll()
        _ = try SnapshotFile.write(fuzzy, to: store.dir.snapshots)
        try work(store, from: 37, to: 45)
        let (database, report) = try store.recover()
        #expect(report.replayed == overlap + 8)
        zkExpectSameState(database, store.database)
    }

    /// A fuzzy snapshot can hold one part of a multi and not another (ZooKeeper writes nodes
    /// one by one while transactions go on). Replay must apply the missing parts, not roll the
    /// whole multi back because one part is already there.
    @Test func replayAppliesTheMultiPartsAFuzzySnapshotMissed() throws {
        let store = ZKStore("recovery-fuzzy-multi")
        defer { store.remove() }
        try store.commit(zkCreate("/a", "old", parentCVersion: 1))
        try store.commit(zkCreate("/gone", parentCVersion: 2))
        try store.log.roll()
        let before = store.database  // zxid 2
        try store.commit(.multi([
            .setData(path: "/a", data: Array("new".utf8), version: 1),
            zkCreate("/b", parentCVersion: 3),
            .delete(path: "/gone"),
        ]))
        try store.commit(.setData(path: "/b", data: [7], version: 1))
        // Written while the multi went on: /b already created, /a and /gone not yet touched.
        var fuzzy = before
        fuzzy.apply(zkTxn(3, zkCreate("/b", parentCVersion: 3)))
        fuzzy = ZKDatabase(tree: fuzzy.tree, sessions: fuzzy.sessions, lastZxid: 2)
        _ = try SnapshotFile.write(fuzzy, to: store.dir.snapshots)
        let (database, report) = try store.recover()
        #expect(report.replayed == 2)
        #expect(database.tree.node("/a")?.data == Array("new".utf8))
        #expect(database.tree.node("/gone") == nil)
        zkExpectSameState(database, store.database)
    }
}
