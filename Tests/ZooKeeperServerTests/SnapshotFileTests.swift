import Foundation
import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

@Suite struct SnapshotFileTests {
    /// A database with every kind of node, ACLs, sessions, and changed stat fields.
    static func sampleDatabase() -> ZKDatabase {
        var database = ZKDatabase(extendedTypes: true)
        let digest = [ACL(.all, Id(scheme: "digest", id: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")), ACL(.read, .anyone)]
        database.next(.createSession(timeout: 12_000), session: 0x77)
        database.next(.createSession(timeout: 40_000), session: 0x78)
        database.next(.create(path: "/app", data: Array("config".utf8), acl: digest, ephemeralOwner: 0, parentCVersion: 1))
        database.next(zkCreate("/app/e", "ephemeral", owner: 0x77, parentCVersion: 1), session: 0x77)
        database.next(zkCreate("/app/box", owner: NodeKind.container.owner, parentCVersion: 2))
        database.next(zkCreate("/app/ttl", owner: NodeKind.ttl(milliseconds: 60_000).owner, parentCVersion: 3))
        database.next(zkCreate("/app/box/item", String(repeating: "x", count: 3000), parentCVersion: 1))
        database.next(.setData(path: "/app", data: Array("config v2".utf8), version: 1))
        database.next(.setACL(path: "/app/box", acl: digest, version: 1))
        database.next(zkCreate("/gone", parentCVersion: 2))
        database.next(.delete(path: "/gone"))
        database.next(zkCreate("/ünïcode path", [0, 255, 1].map { String(UnicodeScalar($0)) }.joined(), parentCVersion: 4))
        return database
    }

    @Test func aSnapshotReadsBackToTheSameState() throws {
        let dir = ZKTempDir("snapshot")
        defer { dir.remove() }
        let database = Self.sampleDatabase()
        let path = try SnapshotFile.write(database, to: dir.snapshots)
        #expect(path == dir.snapshots + "/snapshot.c")
        #expect(dir.names(in: dir.snapshots) == ["snapshot.c"], "no temporary file is left")
        let bytes = dir.bytes(path)
        #expect(Array(bytes.prefix(4)) == Array("ZKSN".utf8))
        #expect(Array(bytes[4..<8]) == [0, 0, 0, 2])
        let read = try SnapshotFile.read(path, extendedTypes: true)
        zkExpectSameState(read, database)
        #expect(read.tree.node("/app")?.children == ["e", "box", "ttl"])
    }

    @Test func aSnapshotLargerThanTheWriteBufferReadsBack() throws {
        let dir = ZKTempDir("snapshot-large")
        defer { dir.remove() }
        var database = Self.sampleDatabase()
        for index in 0..<5 {
            database.next(.create(
                path: "/blob\(index)", data: [UInt8](repeating: UInt8(index), count: 700_000), acl: ACL.openUnsafe,
                ephemeralOwner: 0, parentCVersion: Int32(10 + index)))
        }
        let path = try SnapshotFile.write(database, to: dir.snapshots)
        #expect(dir.bytes(path).count > 3_500_000)
        #expect(SnapshotFile.isSealed(path))
        zkExpectSameState(try SnapshotFile.read(path, extendedTypes: true), database)
    }

    @Test func anEmptyDatabaseSnapshots() throws {
        let dir = ZKTempDir("snapshot-empty")
        defer { dir.remove() }
        let database = ZKDatabase(extendedTypes: false)
        let path = try SnapshotFile.write(database, to: dir.snapshots)
        #expect((path as NSString).lastPathComponent == "snapshot.0")
        zkExpectSameState(try SnapshotFile.read(path, extendedTypes: false), database)
    }

    @Test func everyDamagedOrTruncatedSnapshotIsRefused() throws {
        let dir = ZKTempDir("snapshot-damage")
        defer { dir.remove() }
        let path = try SnapshotFile.write(Self.sampleDatabase(), to: dir.snapshots)
        let bytes = dir.bytes(path)
        try FileManager.default.createDirectory(atPath: dir.file("damaged"), withIntermediateDirectories: true)
        let damaged = dir.file("damaged/" + (path as NSString).lastPathComponent)
        dir.write(bytes, to: damaged)
        #expect(throws: Never.self) { try SnapshotFile.read(damaged, extendedTypes: true) }
        var rng = ZKSeededRandom(seed: 7)
        for _ in 0..<40 {
            var copy = bytes
            let index = Int.random(in: 0..<copy.count, using: &rng)
            copy[index] ^= UInt8.random(in: 1...255, using: &rng)
            dir.write(copy, to: damaged)
            #expect(throws: SnapshotFile.LoadError.self, "byte \(index) flipped") { try SnapshotFile.read(damaged, extendedTypes: true) }
        }
        for length in [0, 3, 16, 100, bytes.count / 2, bytes.count - 1] {
            dir.write(Array(bytes.prefix(length)), to: damaged)
            #expect(throws: SnapshotFile.LoadError.self, "cut at \(length)") { try SnapshotFile.read(damaged, extendedTypes: true) }
        }
        #expect(throws: SnapshotFile.LoadError.self) { try SnapshotFile.read(dir.file("snapshot.1"), extendedTypes: true) }
        let misnamed = dir.file("damaged/copy")
        dir.write(bytes, to: misnamed)
        #expect(throws: SnapshotFile.LoadError.self, "the zxid is the name's") { try SnapshotFile.read(misnamed, extendedTypes: true) }
    }
}
