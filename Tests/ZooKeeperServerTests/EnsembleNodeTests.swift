import Foundation
import Network
import Testing
import Wire
import ZooKeeperProtocol

@testable import ZooKeeperServer

/// Three `ZooKeeperNode`s in one process on loopback, as an ensemble: a client of a follower
/// writes through it, every member applies the write, and a session with an ephemeral node
/// survives the leader's shutdown.
@Suite(.serialized) struct EnsembleNodeTests {
    /// Free loopback ports: bound to port 0, noted, released.
    static func freePorts(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(fd >= 0)
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            try #require(bound)
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    static func configs(_ dir: ZKTempDir) throws -> [ZooKeeperConfig] {
        let ports = try freePorts(6)
        var servers: [Int64: QuorumServer] = [:]
        for id in Int64(1)...3 {
            servers[id] = QuorumServer(
                id: id, host: "127.0.0.1", quorumPort: ports[Int(id) - 1], electionPort: ports[Int(id) + 2], isObserver: false, clientHost: nil,
                clientPort: nil)
        }
        return (Int64(1)...3).map { id in
            var config = ZooKeeperConfig(dataDir: dir.path + "/\(id)", clientPort: 0)
            config.clientPortAddress = "127.0.0.1"
            // Ticks of 25 ms: a leader steps down after 0.75 s without a majority, elections
            // after 1–2 s of silence, which a loaded test machine does not trip by accident.
            config.tickTime = 250
            config.syncLimit = 5
            config.maxSessionTimeoutSetting = 10_000
            config.servers = servers
            config.myId = id
            return config
        }
    }

    func handshake(_ connection: FrameConnection, session: Int64 = 0, passwd: [UInt8] = .init(repeating: 0, count: 16)) async throws -> ConnectResponse {
        let reply = try await connection.send(ConnectRequest(timeOut: 4000, sessionId: session, passwd: passwd).encoded())
        var reader = ByteReader(reply)
        return try ConnectResponse(from: &reader)
    }

    func call(_ connection: FrameConnection, xid: Int32, _ op: OpCode, _ body: [UInt8]) async throws -> (ReplyHeader, ByteReader) {
        let reply = try await connection.send(RequestHeader(xid: xid, op: op).encoded() + body)
        var reader = ByteReader(reply)
        return (try ReplyHeader(from: &reader), reader)
    }

    func getData(_ port: UInt16, _ path: String) async throws -> [UInt8]? {
        let connection = try await FrameConnection.connect(host: "127.0.0.1", port: port)
        defer { connection.close() }
        _ = try await handshake(connection)
        var (header, body) = try await call(connection, xid: 1, .getData, GetDataRequest(path: path, watch: false).encoded())
        guard header.err == 0 else { return nil }
        return try GetDataResponse(from: &body).data
    }

    static func waitUntil(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return await condition()
    }

    static func leader(_ nodes: [ZooKeeperNode]) async -> ZooKeeperNode? {
        var found: ZooKeeperNode?
        _ = await waitUntil {
            let modes = nodes.map(\.servingMode)
            found = nodes.first { $0.servingMode == .leading }
            return found != nil && modes.filter { $0 == .following }.count == nodes.count - 1
        }
        return found
    }

    @Test func writesThroughAFollowerAndASessionSurvivesTheLeader() async throws {
        let dir = ZKTempDir("ensemble-node")
        defer { dir.remove() }
        var nodes: [ZooKeeperNode] = []
        for config in try Self.configs(dir) {
            let node = try ZooKeeperNode(config: config)
            try node.start()
            nodes.append(node)
        }
        let leader = try #require(await Self.leader(nodes))
        let followers = nodes.filter { $0 !== leader }
        let followerPort = try #require(followers[0].boundPort)

        // A session made through a follower; a write and an ephemeral node through it.
        let connection = try await FrameConnection.connect(host: "127.0.0.1", port: followerPort)
        let session = try await handshake(connection)
        #expect(session.sessionId != 0 && session.timeOut == 4000)
        let (created, _) = try await call(connection, xid: 1, .create, CreateRequest(path: "/a", data: Array("v".utf8)).encoded())
        #expect(created.err == 0 && Zxid(value: created.zxid).counter >= 1)
        // Its read waits behind its write: it sees it.
        var (got, body) = try await call(connection, xid: 2, .getData, GetDataRequest(path: "/a", watch: false).encoded())
        let read = try GetDataResponse(from: &body)
        #expect(got.err == 0 && read.data == Array("v".utf8))
        let (again, _) = try await call(connection, xid: 3, .create, CreateRequest(path: "/a", data: []).encoded())
        #expect(again.err == ErrorCode.nodeExists.rawValue && again.zxid > created.zxid)
        let (ephemeral, _) = try await call(
            connection, xid: 4, .create, CreateRequest(path: "/e", data: [], flags: CreateMode.ephemeral.rawValue).encoded())
        #expect(ephemeral.err == 0)
        let (synced, _) = try await call(connection, xid: 5, .sync, SyncRequest(path: "/").encoded())
        #expect(synced.err == 0)
        connection.close()

        // Every member applied them.
        for node in nodes {
            let port = try #require(node.boundPort)
            #expect(await Self.waitUntil { (try? await getData(port, "/a")) == Array("v".utf8) })
        }

        // The leader goes; the others elect a new one and the session lives on there.
        await leader.shutdown()
        let next = try #require(await Self.leader(followers))
        let port = try #require(followers[1].boundPort)
        var resumed: FrameConnection?
        #expect(
            await Self.waitUntil {
                guard let connection = try? await FrameConnection.connect(host: "127.0.0.1", port: port),
                    let response = try? await handshake(connection, session: session.sessionId, passwd: session.passwd),
                    response.sessionId == session.sessionId
                else { return false }
                resumed = connection
                return true
            })
        let client = try #require(resumed)
        (got, body) = try await call(client, xid: 1, .exists, ExistsRequest(path: "/e", watch: false).encoded())
        #expect(got.err == 0)
        let (set, _) = try await call(client, xid: 2, .setData, SetDataRequest(path: "/a", data: Array("w".utf8), version: 0).encoded())
        #expect(set.err == 0 && Zxid(value: set.zxid).epoch > Zxid(value: created.zxid).epoch)
        client.close()
        for node in nodes where node !== leader { await node.shutdown() }
        _ = next
    }
}
