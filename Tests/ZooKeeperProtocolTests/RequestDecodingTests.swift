import Testing
import Wire

@testable import ZooKeeperProtocol

@Suite struct RequestDecodingTests {
    static let samples: [ZooKeeperRequest] = [
        .create(CreateRequest(path: "/a", data: [1], flags: 1), op: .create),
        .create(CreateRequest(path: "/a", flags: 0), op: .create2),
        .create(CreateRequest(path: "/c", flags: 4), op: .createContainer),
        .create(CreateRequest(path: "/t", flags: 5, ttl: 100), op: .createTTL),
        .delete(DeleteRequest(path: "/a", version: 3)),
        .exists(ExistsRequest(path: "/a", watch: true)),
        .getData(GetDataRequest(path: "/a", watch: false)),
        .setData(SetDataRequest(path: "/a", data: [2, 3], version: -1)),
        .getACL(GetACLRequest(path: "/a")),
        .setACL(SetACLRequest(path: "/a", acl: ACL.readUnsafe, version: 0)),
        .getChildren(GetChildrenRequest(path: "/", watch: true), withStat: false),
        .getChildren(GetChildrenRequest(path: "/", watch: false), withStat: true),
        .sync(SyncRequest(path: "/")),
        .ping,
        .check(CheckVersionRequest(path: "/a", version: 1)),
        .multi([
            .create(CreateRequest(path: "/m"), op: .create), .check(CheckVersionRequest(path: "/m", version: 0)),
            .setData(SetDataRequest(path: "/m", data: [])), .delete(DeleteRequest(path: "/m")),
        ]),
        .multiRead([.getData(GetDataRequest(path: "/a", watch: false)), .getChildren(GetChildrenRequest(path: "/", watch: false))]),
        .checkWatches(WatchesRequest(path: "/a", type: .data)),
        .removeWatches(WatchesRequest(path: "/a", type: .any)),
        .auth(AuthPacket(scheme: "digest", auth: Array("u:p".utf8))),
        .setWatches(SetWatchesRequest(relativeZxid: 5, dataWatches: ["/a"], existWatches: ["/b"], childWatches: ["/"])),
        .setWatches(SetWatchesRequest(relativeZxid: 5, persistentWatches: ["/p"], persistentRecursiveWatches: ["/r"], isVersion2: true)),
        .getEphemerals(GetEphemeralsRequest(path: "/")),
        .getAllChildrenNumber(GetAllChildrenNumberRequest(path: "/")),
        .addWatch(AddWatchRequest(path: "/a", mode: .persistentRecursive)),
        .whoAmI,
        .closeSession,
    ]

    @Test(arguments: samples)
    func roundTrip(request: ZooKeeperRequest) throws {
        var reader = ByteReader(request.encodedFrame(xid: 7))
        let header = try RequestHeader(from: &reader)
        #expect(header.xid == 7)
        #expect(header.type == request.opCode.rawValue)
        #expect(try ZooKeeperRequest.decode(type: header.type, from: &reader) == request)
        #expect(reader.isAtEnd)
    }

    @Test func unknownAndServerOnlyOpCodesDecodeToNil() throws {
        for type: Int32 in [999, -10, 0, 20, 102, -1] {
            var reader = ByteReader([])
            #expect(try ZooKeeperRequest.decode(type: type, from: &reader) == nil)
        }
    }

    @Test func readsInAMultiAndWritesInAMultiReadAreRefused() {
        var writer = ByteWriter()
        MultiOp.encodeList([.getData(GetDataRequest(path: "/", watch: false))], into: &writer)
        var reader = ByteReader(writer.bytes)
        #expect(throws: WireError.self) { _ = try ZooKeeperRequest.decode(type: OpCode.multi.rawValue, from: &reader) }
        writer = ByteWriter()
        MultiOp.encodeList([.delete(DeleteRequest(path: "/"))], into: &writer)
        reader = ByteReader(writer.bytes)
        #expect(throws: WireError.self) { _ = try ZooKeeperRequest.decode(type: OpCode.multiRead.rawValue, from: &reader) }
    }

    @Test func multiResultsGoldenBytes() throws {
        var writer = ByteWriter()
        MultiResult.encodeList([.error(0), .error(-101), .error(-2)], into: &writer)
        func be32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
        let golden = be32(-1) + [0] + be32(0) + be32(0) + be32(-1) + [0] + be32(-101) + be32(-101)
            + be32(-1) + [0] + be32(-2) + be32(-2) + be32(-1) + [1] + be32(-1)
        #expect(writer.bytes == golden)
        let results: [MultiResult] = [
            .create(path: "/a", stat: Stat(), op: .create), .create(path: "/b", stat: Stat(czxid: 1, mzxid: 1, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0, dataLength: 0, numChildren: 0, pzxid: 1), op: .create2),
            .delete, .setData(Stat()), .check, .getData(data: [1], stat: Stat()), .getChildren(["x"]), .error(-103),
        ]
        writer = ByteWriter()
        MultiResult.encodeList(results, into: &writer)
        var reader = ByteReader(writer.bytes)
        #expect(try MultiResult.decodeList(from: &reader) == results)
        #expect(reader.isAtEnd)
    }

    @Test func garbageNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<64, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            for op in OpCode.allCases {
                var reader = ByteReader(bytes)
                _ = try? ZooKeeperRequest.decode(type: op.rawValue, from: &reader)
            }
            _ = try? ConnectRequest.decode(bytes)
        }
    }
}
