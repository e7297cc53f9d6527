import Testing
import Wire
import ZooKeeperProtocol
@testable import ZooKeeperServer

@Suite struct TxnCodecTests {
    static let acl = [ACL(.all, Id(scheme: "digest", id: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")), ACL(.read, .anyone)]
    static let bodies: [TxnBody] = [
        .createSession(timeout: 30_000),
        .closeSession,
        .create(path: "/a", data: [0, 1, 2, 255], acl: acl, ephemeralOwner: 0, parentCVersion: 1),
        .create(path: "/eph", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0x0100_0000_0000_0042, parentCVersion: 7),
        .create(path: "/c", data: [], acl: ACL.openUnsafe, ephemeralOwner: Int64.min, parentCVersion: 2),
        .create(path: "/t", data: [9], acl: ACL.openUnsafe, ephemeralOwner: NodeKind.ttl(milliseconds: 1000).owner, parentCVersion: 3),
        .delete(path: "/a"),
        .setData(path: "/a", data: Array("ünï".utf8), version: 3),
        .setACL(path: "/a", acl: acl, version: 2),
        .check(path: "/a", version: 4),
        .error(ErrorCode.noNode.rawValue),
        .multi([
            .create(path: "/m", data: [1], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 5),
            .setData(path: "/m", data: [2], version: 1),
            .check(path: "/m", version: 1),
            .delete(path: "/m"),
        ]),
        .multi([]),
    ]

    @Test(arguments: bodies)
    func everyBodyRoundTrips(_ body: TxnBody) throws {
        let txn = Txn(sessionId: 0x0100_0000_0000_0042, cxid: 17, zxid: 0x0000_0001_0000_0005, time: 1_700_000_123_456, body: body)
        let bytes = TxnCodec.encode(txn)
        #expect(try TxnCodec.decode(bytes) == txn)
    }

    @Test func headerIsZooKeepersTxnHeaderLayout() {
        let txn = Txn(sessionId: 1, cxid: 2, zxid: 3, time: 4, body: .delete(path: "/x"))
        let bytes = TxnCodec.encode(txn)
        #expect(Array(bytes.prefix(32)) == [
            0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4,
            0, 0, 0, 2,
        ])
    }

    @Test func truncatedOrPaddedOrUnknownInputIsAnErrorNotATrap() {
        let bytes = TxnCodec.encode(Txn(sessionId: 1, cxid: 2, zxid: 3, time: 4, body: Self.bodies[11]))
        for cut in stride(from: 0, to: bytes.count, by: 3) {
            #expect(throws: WireError.self) { try TxnCodec.decode(Array(bytes.prefix(cut))) }
        }
        #expect(throws: WireError.self) { try TxnCodec.decode(bytes + [0]) }
        var unknown = bytes
        unknown[28...31] = [0x7F, 0, 0, 0]
        #expect(throws: WireError.self) { try TxnCodec.decode(unknown) }
    }

    @Test func nestedMultiAndHugeCountsAreRefused() {
        var writer = ByteWriter(capacity: 64)
        writer.writeInt64(1); writer.writeInt32(2); writer.writeInt64(3); writer.writeInt64(4)
        writer.writeInt32(OpCode.multi.rawValue)
        writer.writeInt32(1)
        writer.writeInt32(OpCode.multi.rawValue)
        writer.writeInt32(0)
        #expect(throws: WireError.self) { try TxnCodec.decode(writer.bytes) }

        var huge = ByteWriter(capacity: 64)
        huge.writeInt64(1); huge.writeInt32(2); huge.writeInt64(3); huge.writeInt64(4)
        huge.writeInt32(OpCode.multi.rawValue)
        huge.writeInt32(Int32.max)
        #expect(throws: WireError.self) { try TxnCodec.decode(huge.bytes) }
    }

    @Test func createsUseZooKeepersTxnTypesAndRecords() throws {
        func type(_ body: TxnBody, session: Int64 = 9) -> [UInt8] {
            Array(TxnCodec.encode(Txn(sessionId: session, cxid: 0, zxid: 1, time: 0, body: body))[28..<32])
        }
        #expect(type(zkCreate("/p", parentCVersion: 1)) == [0, 0, 0, 1])
        #expect(type(zkCreate("/e", owner: 9, parentCVersion: 1)) == [0, 0, 0, 1])
        #expect(type(zkCreate("/c", owner: NodeKind.container.owner, parentCVersion: 1)) == [0, 0, 0, 19])
        #expect(type(zkCreate("/t", owner: NodeKind.ttl(milliseconds: 5).owner, parentCVersion: 1)) == [0, 0, 0, 21])
        #expect(type(.closeSession) == [0xFF, 0xFF, 0xFF, 0xF5])
        #expect(type(.check(path: "/p", version: 1)) == [0, 0, 0, 14], "a lone check is a multi of one for ZooKeeper's readers")
        // CreateTxn: path, data, acl, then `boolean ephemeral` and parentCVersion.
        let persistent = TxnCodec.encode(Txn(sessionId: 9, cxid: 0, zxid: 1, time: 0, body: zkCreate("/p", parentCVersion: 7)))
        let ephemeral = TxnCodec.encode(Txn(sessionId: 9, cxid: 0, zxid: 1, time: 0, body: zkCreate("/p", owner: 9, parentCVersion: 7)))
        #expect(Array(persistent.suffix(5)) == [0, 0, 0, 0, 7] && Array(ephemeral.suffix(5)) == [1, 0, 0, 0, 7])
        // An ephemeral belongs to the header's session.
        #expect(try TxnCodec.decode(ephemeral).body == zkCreate("/p", owner: 9, parentCVersion: 7))
    }

    @Test func zooKeeperOnlyRecordsAreReadToo() throws {
        var writer = ByteWriter(capacity: 64)
        writer.writeInt64(5); writer.writeInt32(1); writer.writeInt64(2); writer.writeInt64(3)
        writer.writeInt32(OpCode.closeSession.rawValue)
        writer.writeJuteStrings(["/a", "/b"])  // CloseSessionTxn
        writer.writeInt32(2); writer.writeInt64(0x1234)  // TxnDigest
        #expect(try TxnCodec.decode(writer.bytes).body == .closeSession)

        var create2 = ByteWriter(capacity: 64)
        create2.writeInt64(5); create2.writeInt32(1); create2.writeInt64(2); create2.writeInt64(3)
        create2.writeInt32(OpCode.create2.rawValue)
        create2.writeJuteString("/x"); create2.writeJuteBuffer([1]); create2.writeACLs(ACL.openUnsafe)
        create2.writeBool(true); create2.writeInt32(4)
        #expect(try TxnCodec.decode(create2.bytes).body
            == .create(path: "/x", data: [1], acl: ACL.openUnsafe, ephemeralOwner: 5, parentCVersion: 4))

        var deleteContainer = ByteWriter(capacity: 64)
        deleteContainer.writeInt64(5); deleteContainer.writeInt32(1); deleteContainer.writeInt64(2); deleteContainer.writeInt64(3)
        deleteContainer.writeInt32(OpCode.deleteContainer.rawValue)
        deleteContainer.writeJuteString("/box")
        #expect(try TxnCodec.decode(deleteContainer.bytes).body == .delete(path: "/box"))

        var reconfig = ByteWriter(capacity: 64)
        reconfig.writeInt64(5); reconfig.writeInt32(1); reconfig.writeInt64(2); reconfig.writeInt64(3)
        reconfig.writeInt32(OpCode.reconfig.rawValue)
        reconfig.writeJuteString("/zookeeper/config"); reconfig.writeJuteBuffer(Array("server.1=a:1:2".utf8)); reconfig.writeInt32(1)
        #expect(try TxnCodec.decode(reconfig.bytes).body == .setData(path: "/zookeeper/config", data: Array("server.1=a:1:2".utf8), version: 1))
    }

    @Test func adler32MatchesJavaUtilZip() {
        #expect(Adler32.checksum([UInt8]()) == 1)
        #expect(Adler32.checksum(Array("Wikipedia".utf8)) == 0x11E6_0398)
        // Long enough to need the modular reductions (zlib's adler32, which java.util.zip.Adler32 is).
        #expect(Adler32.checksum([UInt8](repeating: 0xFF, count: 100_000)) == Self.adlerOfFF)
        var split = Adler32()
        split.update([UInt8](repeating: 0xFF, count: 33_333))
        split.update([UInt8](repeating: 0xFF, count: 66_667))
        #expect(split.value == Self.adlerOfFF)
    }

    static let adlerOfFF: UInt32 = 0x149A_302C
}
