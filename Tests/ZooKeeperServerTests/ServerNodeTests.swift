import Foundation
import Network
import Testing
import Wire
import ZooKeeperProtocol
@testable import ZooKeeperServer

/// A `ZooKeeperNode` in-process on a free loopback port, spoken to frame by frame: the
/// handshake, a write and a read, a watch notification, and a restart that recovers both the
/// data and the session.
@Suite(.serialized) struct ServerNodeTests {
    func config(_ dir: ZKTempDir) -> ZooKeeperConfig {
        var config = ZooKeeperConfig(dataDir: dir.path + "/data", clientPort: 0)
        config.clientPortAddress = "127.0.0.1"
        config.tickTime = 500
        return config
    }

    func start(_ config: ZooKeeperConfig) throws -> (ZooKeeperNode, UInt16) {
        let node = try ZooKeeperNode(config: config)
        try node.start()
        return (node, node.boundPort ?? 0)
    }

    func handshake(_ connection: FrameConnection, session: Int64 = 0, passwd: [UInt8] = .init(repeating: 0, count: 16), timeout: Int32 = 4000) async throws -> ConnectResponse {
        let reply = try await connection.send(ConnectRequest(timeOut: timeout, sessionId: session, passwd: passwd).encoded())
        var reader = ByteReader(reply)
        return try ConnectResponse(from: &reader)
    }

    func call(_ connection: FrameConnection, xid: Int32, _ op: OpCode, _ body: [UInt8]) async throws -> (ReplyHeader, ByteReader) {
        let reply = try await connection.send(RequestHeader(xid: xid, op: op).encoded() + body)
        var reader = ByteReader(reply)
        let header = try ReplyHeader(from: &reader)
        return (header, reader)
    }

    @Test func handshakeWriteReadAndRestart() async throws {
        let dir = ZKTempDir("server-node")
        defer { dir.remove() }
        var (node, port) = try start(config(dir))
        // Timeouts are clamped to [2, 20] ticks.
        let short = try await FrameConnection.connect(host: "127.0.0.1", port: port)
        let low = try await handshake(short, timeout: 1)
        #expect(low.timeOut == 1000 && low.sessionId != 0 && low.passwd.count == 16 && low.readOnly == false)
        short.close()
        // The session that must outlive the restart gets the longest timeout, so a slow restart
        // on a loaded machine cannot expire it.
        var connection = try await FrameConnection.connect(host: "127.0.0.1", port: port)
        let first = try await handshake(connection, timeout: 60_000)
        #expect(first.timeOut == 10_000 && first.sessionId != low.sessionId)

        let (created, _) = try await call(connection, xid: 1, .create, CreateRequest(path: "/a", data: Array("v".utf8)).encoded())
        #expect(created.err == 0 && created.zxid > 0)
        var (got, body) = try await call(connection, xid: 2, .getData, GetDataRequest(path: "/a", watch: false).encoded())
        #expect(got.xid == 2 && got.err == 0)
        var data = try GetDataResponse(from: &body)
        #expect(data.data == Array("v".utf8) && data.stat.czxid == created.zxid)
        let (missing, rest) = try await call(connection, xid: 3, .getData, GetDataRequest(path: "/none", watch: false).encoded())
        #expect(missing.err == ErrorCode.noNode.rawValue && rest.remaining == 0)

        connection.close()
        await node.shutdown()

        // Same directory: the data and the session are back.
        (node, port) = try start(config(dir))
        connection = try await FrameConnection.connect(host: "127.0.0.1", port: port)
        let resumed = try await handshake(connection, session: first.sessionId, passwd: first.passwd)
        #expect(resumed.sessionId == first.sessionId && resumed.timeOut == 4000)
        (got, body) = try await call(connection, xid: 1, .getData, GetDataRequest(path: "/a", watch: false).encoded())
        data = try GetDataResponse(from: &body)
        #expect(got.err == 0 && data.data == Array("v".utf8) && got.zxid >= created.zxid)
        connection.close()
        await node.shutdown()
    }

    @Test func refusedReconnectAnswersExpired() async throws {
        let dir = ZKTempDir("server-node")
        defer { dir.remove() }
        let (node, port) = try start(config(dir))
        let connection = try await FrameConnection.connect(host: "127.0.0.1", port: port)
        let response = try await handshake(connection, session: 0x1234_5678, passwd: .init(repeating: 1, count: 16))
        #expect(response == .expired(readOnly: false))
        connection.close()
        await node.shutdown()
    }

    @Test func ensembleConfigurationWithoutThisNodesServerLineIsRefused() throws {
        var config = ZooKeeperConfig(dataDir: "/nonexistent", clientPort: 0)
        for id in Int64(1)...3 {
            config.servers[id] = QuorumServer(
                id: id, host: "127.0.0.1", quorumPort: 2888, electionPort: 3888, isObserver: id == 3, clientHost: nil, clientPort: nil)
        }
        config.myId = 4
        #expect(throws: ZooKeeperNode.StartError.self) { try ZooKeeperNode(config: config) }
        config.myId = 3
        #expect(throws: ZooKeeperNode.StartError.self) { try ZooKeeperNode(config: config) }
        config.myId = 1
        #expect(throws: Never.self) { try ZooKeeperNode(config: config) }
    }
}

/// The numbers srvr and mntr print, as ZooKeeper prints them.
@Suite struct ServerStatsTests {
    @Test(arguments: [
        ([Int64](), "0.0"), ([5, 6, 6, 6], "5.75"), ([1, 1, 2], "1.3333"), ([0, 0, 2], "0.6667"), ([10], "10.0"),
    ])
    func averageIsJavaDoubleRoundedToFourPlaces(_ latencies: [Int64], _ expected: String) {
        let stats = ServerStats()
        for latency in latencies { stats.recordReply(latencyMs: latency) }
        #expect(stats.snapshot.averageText == expected)
    }

    @Test func latencyLineBeforeAnyRequest() {
        #expect(ServerStats().snapshot.latencyText == "0/0.0/0")
    }

    @Test func fourLetterWordsAreTheirBytesAsAnInt() {
        #expect(FourLetterWord.ruok.code == 0x7275_6F6B)
        #expect(FourLetterWord(code: 0x7372_7672) == .srvr)
        #expect(FourLetterWord(code: 0x0000_0010) == nil)
        #expect(FourLetterWord.stat.notWhitelistedAnswer == "stat is not executed because it is not in the whitelist.\n")
    }
}
