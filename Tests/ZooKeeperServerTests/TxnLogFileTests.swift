import Foundation
import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

@Suite struct TxnLogFileTests {
    /// Logs `count` creates of /n<i>; the last one is /last-record-marker.
    private func fill(_ store: ZKStore, count: Int) throws {
        for index in 0..<count - 1 {
            try store.commit(zkCreate("/n\(index)", String(repeating: "d", count: index % 50), parentCVersion: Int32(index + 2)))
        }
        try store.commit(zkCreate("/last-record-marker", "tail", parentCVersion: Int32(count + 1)))
    }

    @Test func writtenLogIsReopenedAndReplayed() throws {
        let store = ZKStore("txnlog")
        defer { store.remove() }
        try store.commit(.createSession(timeout: 30_000), session: 0x55)
        try fill(store, count: 40)
        try store.commit(.setData(path: "/n3", data: [1, 2, 3], version: 1))
        try store.commit(.multi([zkCreate("/m", parentCVersion: 42), .delete(path: "/n0")]))
        try store.commit(.closeSession, session: 0x55)
        #expect(store.logFiles.map { ($0 as NSString).lastPathComponent } == ["log.1"])

        let recovered = try TxnLogFile.recover(directory: store.dir.logs, after: 0)
        #expect(recovered.truncated.isEmpty)
        #expect(recovered.txns.map(\.zxid) == Array(1...44))
        let (database, report) = try store.recover()
        #expect(report.snapshot == nil && report.replayed == 44)
        zkExpectSameState(database, store.database)
    }

    @Test func filesAreNamedByTheirFirstZxidInHexAndPreallocated() throws {
        let store = ZKStore("txnlog-names")
        defer { store.remove() }
        try fill(store, count: 30)
        try store.log.roll()
        try fill(store, count: 3)  // zxids 31...33 (0x1f...)
        try store.log.sync()
        let names = store.logFiles.map { ($0 as NSString).lastPathComponent }
        #expect(names == ["log.1", "log.1f"])
        for file in store.logFiles {
            let bytes = store.dir.bytes(file)
            #expect(bytes.count % 4096 == 0, "grown in preAllocSize steps")
            #expect(Array(bytes.prefix(4)) == Array("ZKLG".utf8))
            #expect(Array(bytes[4..<8]) == [0, 0, 0, 2], "format version 2")
        }
        let later = try TxnLogFile.recover(directory: store.dir.logs, after: 31)
        #expect(later.txns.map(\.zxid) == [32, 33], "files wholly before `after` are skipped")
    }

    @Test func recordsLargerThanThePreallocationStepGrowTheFile() throws {
        let store = ZKStore("txnlog-large")
        defer { store.remove() }
        let big = [UInt8](repeating: 0xAB, count: 20_000)
        try store.commit(.create(path: "/big", data: big, acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1))
        try store.commit(.setData(path: "/big", data: big + big, version: 1))
        try store.commit(zkCreate("/small", parentCVersion: 2))
        let (database, report) = try store.recover()
        #expect(report.replayed == 3)
        #expect(database.tree.node("/big")?.data.count == 40_000)
        zkExpectSameState(database, store.database)
    }

    @Test func aZeroFilledPreallocatedTailIsTheEndNotDamage() throws {
        let store = ZKStore("txnlog-zeros")
        defer { store.remove() }
        try fill(store, count: 10)
        try store.log.close()
        let file = try #require(store.logFiles.first)
        var bytes = store.dir.bytes(file)
        bytes += [UInt8](repeating: 0, count: 10_000)
        store.dir.write(bytes, to: file)
        let recovered = try TxnLogFile.recover(directory: store.dir.logs, after: 0)
        #expect(recovered.txns.count == 10)
        #expect(recovered.truncated.isEmpty)
        #expect(store.dir.bytes(file).count == bytes.count, "nothing cut")
    }

    @Test(arguments: [2, 9, 14])
    func aPartialLastRecordIsCutAndEverythingBeforeKept(cutInto: Int) throws {
        let store = ZKStore("txnlog-partial")
        defer { store.remove() }
        try fill(store, count: 20)
        let expected = store.database
        try store.log.close()
        let file = try #require(store.logFiles.first)
        var bytes = store.dir.bytes(file)
        let marker = try #require(zkLastOffset(of: "/last-record-marker", in: bytes))
        // The crash: the last record's first bytes reached the disk, the rest of the
        // preallocated file is still zeros.
        for index in (marker + cutInto)..<bytes.count { bytes[index] = 0 }
        store.dir.write(bytes, to: file)

        let recovered = try TxnLogFile.recover(directory: store.dir.logs, after: 0)
        #expect(recovered.txns.map(\.zxid) == Array(1...19))
        #expect(recovered.truncated.count == 1)
        let cutAt = try #require(recovered.truncated.first?.at)
        #expect(cutAt < marker && cutAt > marker - 64, "cut at the start of the torn record")
        #expect(store.dir.bytes(file).count == cutAt)

        let (database, report) = try store.recover()
        #expect(report.replayed == 19 && report.truncated.isEmpty, "already repaired")
        #expect(database.tree.node("/last-record-marker") == nil)
        #expect(database.tree.node("/n18") == expected.tree.node("/n18"))

        // Writing resumes in a new file and a second restart sees both.
        store.database = database
        try store.commit(zkCreate("/after", parentCVersion: 100))
        let (again, _) = try store.recover()
        #expect(again.lastZxid == 20 && again.tree.node("/after") != nil)
    }

    @Test func aFileEndingMidRecordIsCut() throws {
        let store = ZKStore("txnlog-short")
        defer { store.remove() }
        try fill(store, count: 5)
        try store.log.close()
        let file = try #require(store.logFiles.first)
        let bytes = store.dir.bytes(file)
        let marker = try #require(zkLastOffset(of: "/last-record-marker", in: bytes))
        store.dir.write(Array(bytes.prefix(marker + 3)), to: file)
        let recovered = try TxnLogFile.recover(directory: store.dir.logs, after: 0)
        #expect(recovered.txns.count == 4 && recovered.truncated.count == 1)
    }

    @Test func aChecksumMismatchInTheLastRecordIsCut() throws {
        let store = ZKStore("txnlog-crc")
        defer { store.remove() }
        try fill(store, count: 12)
        try store.log.close()
        let file = try #require(store.logFiles.first)
        var bytes = store.dir.bytes(file)
        let marker = try #require(zkLastOffset(of: "/last-record-marker", in: bytes))
        bytes[marker + 5] ^= 0x20  // one byte of the path: still decodes, fails the checksum
        store.dir.write(bytes, to: file)
        let recovered = try TxnLogFile.recover(directory: store.dir.logs, after: 0)
        #expect(recovered.txns.map(\.zxid) == Array(1...11))
        #expect(recovered.truncated.count == 1)
        let again = try TxnLogFile.recover(directory: store.dir.logs, after: 0)
        #expect(again.txns.count == 11 && again.truncated.isEmpty)
    }

    @Test func aLastRecordWithoutItsEndMarkerIsCut() throws {
        let store = ZKStore("txnlog-eor")
        defer { store.remove() }
        try fill(store, count: 8)
        try store.log.close()
        let file = try #require(store.logFiles.first)
        var bytes = store.dir.bytes(file)
        // The last non-zero byte of a preallocated log is the 'B' after the last entry.
        let end = try #require(bytes.lastIndex { $0 != 0 })
        #expect(bytes[end] == UInt8(ascii: "B"))
        bytes[end] = 0
        store.dir.write(bytes, to: file)
        let recovered = try TxnLogFile.recover(directory: store.dir.logs, after: 0)
        #expect(recovered.txns.map(\.zxid) == Array(1...7))
        #expect(recovered.truncated.count == 1)
    }

    @Test func aDamagedRecordInAnOlderFileStopsRecovery() throws {
        let store = ZKStore("txnlog-older")
        defer { store.remove() }
        try fill(store, count: 6)
        try store.log.roll()
        try store.commit(zkCreate("/newer", parentCVersion: 50))
        try store.log.close()
        let older = try #require(store.logFiles.first)
        var bytes = store.dir.bytes(older)
        let marker = try #require(zkLastOffset(of: "/last-record-marker", in: bytes))
        bytes[marker + 5] ^= 0x20
        store.dir.write(bytes, to: older)
        #expect(throws: TxnLogFile.RecoveryError.self) { try TxnLogFile.recover(directory: store.dir.logs, after: 0) }
        #expect(throws: Recovery.Failure.self) {
            try Recovery.load(snapshotDirectory: store.dir.snapshots, logDirectory: store.dir.logs, extendedTypes: true)
        }
        #expect(store.dir.bytes(older) == bytes, "real corruption is left for an operator, not cut")
    }

    @Test func aLogWithoutItsHeaderIsCutToNothing() throws {
        let store = ZKStore("txnlog-header")
        defer { store.remove() }
        try fill(store, count: 3)
        try store.log.close()
        let file = try #require(store.logFiles.first)
        var bytes = store.dir.bytes(file)
        bytes[0] = 0x58
        store.dir.write(bytes, to: file)
        let recovered = try TxnLogFile.recover(directory: store.dir.logs, after: 0)
        #expect(recovered.txns.isEmpty && recovered.truncated.count == 1)
    }

    @Test func anEmptyDirectoryRecoversNothing() throws {
        let dir = ZKTempDir("txnlog-empty")
        defer { dir.remove() }
        let recovered = try TxnLogFile.recover(directory: dir.path + "/missing", after: 0)
        #expect(recovered.txns.isEmpty)
    }
}
