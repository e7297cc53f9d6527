import Testing
import Wire

@testable import ZooKeeperProtocol

/// Golden bytes written out by hand from zookeeper.jute's field order, and round trips of
/// every record.
@Suite struct JuteRecordTests {
    static func be32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    static func be64(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    static func ustring(_ s: String) -> [UInt8] { be32(Int32(s.utf8.count)) + Array(s.utf8) }

    @Test func connectRequestGoldenBytes() throws {
        // What the Java client sends for a new session asking for 30 s.
        let golden = Self.be32(0) + Self.be64(0) + Self.be32(30_000) + Self.be64(0) + Self.be32(16)
            + [UInt8](repeating: 0, count: 16) + [0]
        let request = ConnectRequest(timeOut: 30_000)
        #expect(request.encoded() == golden)
        #expect(try ConnectRequest.decode(golden) == request)
    }

    @Test func connectRequestWithoutTheReadOnlyByte() throws {
        let old = Self.be32(0) + Self.be64(5) + Self.be32(10_000) + Self.be64(0x1234) + Self.be32(2) + [9, 9]
        let request = try ConnectRequest.decode(old)
        #expect(request.readOnly == nil)
        #expect(request.sessionId == 0x1234)
        #expect(request.passwd == [9, 9])
        #expect(request.encoded() == old)
        let response = ConnectResponse(timeOut: 10_000, sessionId: 7, passwd: [1], readOnly: request.readOnly)
        #expect(response.encoded() == Self.be32(0) + Self.be32(10_000) + Self.be64(7) + Self.be32(1) + [1])
    }

    @Test func expiredConnectResponse() {
        let bytes = ConnectResponse.expired(readOnly: true).encoded()
        #expect(bytes == Self.be32(0) + Self.be32(0) + Self.be64(0) + Self.be32(16) + [UInt8](repeating: 0, count: 16) + [0])
    }

    @Test func headersGoldenBytes() throws {
        #expect(RequestHeader(xid: 1, op: .getData).encoded() == Self.be32(1) + Self.be32(4))
        let reply = ReplyHeader(xid: -1, zxid: 0x1_0000_0002, error: .noNode)
        #expect(reply.encoded() == Self.be32(-1) + Self.be64(0x1_0000_0002) + Self.be32(-101))
        #expect(try ReplyHeader.decode(reply.encoded()) == reply)
        #expect(MultiHeader.end.encoded() == Self.be32(-1) + [1] + Self.be32(-1))
    }

    @Test func statIsSixtyEightBytesInJuteOrder() throws {
        let stat = Stat(
            czxid: 1, mzxid: 2, ctime: 3, mtime: 4, version: 5, cversion: 6, aversion: 7, ephemeralOwner: 8,
            dataLength: 9, numChildren: 10, pzxid: 11)
        let golden = Self.be64(1) + Self.be64(2) + Self.be64(3) + Self.be64(4) + Self.be32(5) + Self.be32(6)
            + Self.be32(7) + Self.be64(8) + Self.be32(9) + Self.be32(10) + Self.be64(11)
        #expect(stat.encoded() == golden)
        #expect(golden.count == Stat.encodedSize)
        #expect(try Stat.decode(golden) == stat)
    }

    @Test func createRequestGoldenBytes() throws {
        let request = CreateRequest(path: "/a", data: [1, 2], acl: ACL.openUnsafe, flags: CreateMode.ephemeralSequential.rawValue)
        let golden = Self.ustring("/a") + Self.be32(2) + [1, 2] + Self.be32(1) + Self.be32(31) + Self.ustring("world")
            + Self.ustring("anyone") + Self.be32(3)
        #expect(request.encoded() == golden)
        var reader = ByteReader(golden)
        #expect(try CreateRequest(from: &reader, withTTL: false) == request)
        #expect(reader.isAtEnd)
        let ttl = CreateRequest(path: "/t", acl: ACL.openUnsafe, flags: 5, ttl: 1000)
        var ttlReader = ByteReader(ttl.encoded())
        #expect(try CreateRequest(from: &ttlReader, withTTL: true) == ttl)
    }

    @Test func nullBufferAndVector() throws {
        // Null data reads as empty; a null ACL vector reads as nil (refused later as InvalidACL).
        let bytes = Self.ustring("/n") + Self.be32(-1) + Self.be32(-1) + Self.be32(0)
        var reader = ByteReader(bytes)
        let request = try CreateRequest(from: &reader, withTTL: false)
        #expect(request.data == [])
        #expect(request.acl == nil)
    }

    @Test func watcherEventGoldenBytes() throws {
        let event = WatcherEvent(type: .nodeChildrenChanged, path: "/x")
        #expect(event.encoded() == Self.be32(4) + Self.be32(3) + Self.ustring("/x"))
        #expect(try WatcherEvent.decode(event.encoded()) == event)
    }

    @Test func responsesRoundTrip() throws {
        let stat = Stat(
            czxid: 9, mzxid: 8, ctime: 7, mtime: 6, version: 5, cversion: 4, aversion: 3, ephemeralOwner: 2,
            dataLength: 1, numChildren: 0, pzxid: -1)
        #expect(try Create2Response.decode(Create2Response(path: "/p", stat: stat).encoded()) == Create2Response(path: "/p", stat: stat))
        #expect(try GetDataResponse.decode(GetDataResponse(data: [1], stat: stat).encoded()) == GetDataResponse(data: [1], stat: stat))
        let children = GetChildrenResponse(children: ["a", "b"], stat: stat)
        var reader = ByteReader(children.encoded())
        #expect(try GetChildrenResponse(from: &reader, withStat: true) == children)
        let acl = GetACLResponse(acl: [ACL(.read, Id(scheme: "digest", id: "u:h"))], stat: stat)
        #expect(try GetACLResponse.decode(acl.encoded()) == acl)
        #expect(try IntResponse.decode(IntResponse(42).encoded()) == IntResponse(42))
        #expect(try StringsResponse.decode(StringsResponse(["/e"]).encoded()) == StringsResponse(["/e"]))
        let who = WhoAmIResponse(clientInfo: [ClientInfo(authScheme: "ip", user: "127.0.0.1")])
        #expect(try WhoAmIResponse.decode(who.encoded()) == who)
        #expect(try SetWatchesRequest.decode(SetWatchesRequest(relativeZxid: 3, dataWatches: ["/d"]).encoded())
            == SetWatchesRequest(relativeZxid: 3, dataWatches: ["/d"]))
    }

    @Test func truncatedRecordsThrow() {
        let stat = Stat().encoded()
        for cut in [0, 1, 8, 67] {
            #expect(throws: WireError.self) { try Stat.decode(Array(stat.prefix(cut))) }
        }
        #expect(throws: WireError.self) { try PathRecord.decode(Self.be32(100) + [1, 2]) }
        #expect(throws: WireError.self) { try PathRecord.decode(Self.be32(-2)) }
        #expect(throws: WireError.self) { try PathRecord.decode(Self.be32(-1)) }
        // A vector count of 2^31-1 with nothing after it: refused before allocating.
        #expect(throws: WireError.self) { try StringsResponse.decode(Self.be32(Int32.max)) }
    }
}
