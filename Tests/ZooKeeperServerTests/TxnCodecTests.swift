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
}
