import Logging
import Network
import Synchronization
import Testing
import Wire
import ZooKeeperProtocol
@testable import ZooKeeperServer

/// A client that reconnects to a follower with a session the follower has not applied yet
/// (created through another member a moment ago) is not told its session expired: the
/// follower catches up with the leader first and looks again, as ZooKeeper's follower has the
/// leader revalidate it. A wrong password is refused at once; a session the leader does not
/// have either is refused after the sync.
@Suite struct SessionRevalidationTests {
    /// The follower's way to its leader, recording what the processor asks of it.
    final class RecordingLink: EnsembleLink {
        let syncs = Mutex<[UInt64]>([])
        func forward(_ payload: [UInt8]) {}
        func requestSync(token: UInt64) { syncs.withLock { $0.append(token) } }
    }

    /// Runs every effect at once (nothing here waits for a disk).
    final class ImmediateCommitter: TxnCommitter, Sendable {
        func submit(_ txns: [Txn], effects: [Effect]) { for effect in effects { effect.perform() } }
        func checkpoint(_ image: ZKDatabase) {}
        func close(completion: @escaping @Sendable () -> Void) { completion() }
    }

    final class Follower: Sendable {
        let processor: RequestProcessor
        let link = RecordingLink()
        let replies = Mutex<[UInt64: [Reply]]>([:])

        init() {
            processor = RequestProcessor(
                config: ZooKeeperConfig(dataDir: "/nonexistent", clientPort: 0), database: ZKDatabase(extendedTypes: false),
                committer: ImmediateCommitter(), logger: Logger(label: "test"), stats: ServerStats())
            processor.attach(link: link)
            processor.queue.sync { processor.changeMode(to: .following) }
        }

        /// A new client connection `id` sends its handshake for `session`.
        func reconnect(_ id: UInt64, session: Int64, password: [UInt8]? = nil) {
            let info = ConnectionInfo(id: id, remoteHost: "127.0.0.1", remotePort: UInt16(40000 + id), listenerName: "client")
            processor.queue.sync { processor.connections[id] = ClientConnection(info: info, channel: nil) }
            let request = ConnectRequest(timeOut: 30_000, sessionId: session, passwd: password ?? SessionIdentity.password(for: session))
            processor.receive(.connect(request), from: id) { [self] reply in replies.withLock { $0[id, default: []].append(reply) } }
            processor.queue.sync {}
        }

        func replies(to id: UInt64) -> [Reply] { replies.withLock { $0[id] ?? [] } }

        /// The session id of the connect response `id` got; 0 when it was told "expired".
        func grantedSession(_ id: UInt64) throws -> Int64 {
            guard case .frame(let frame)? = replies(to: id).first else { throw TestFailure("no connect response to \(id)") }
            var reader = ByteReader(Array(frame.bytes.dropFirst(4)))
            return try ConnectResponse(from: &reader).sessionId
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func aSessionCreatedElsewhereIsLookedUpAgainAfterASync() throws {
        let follower = Follower()
        follower.reconnect(1, session: 42)
        // Not refused: the follower asked to catch up with the leader.
        #expect(follower.replies(to: 1).isEmpty)
        let token = try #require(follower.link.syncs.withLock { $0.first })
        // The leader's createSession reaches this node, then the sync completes.
        follower.processor.applyCommitted([zkTxn(1, .createSession(timeout: 30_000), session: 42)])
        follower.processor.syncCompleted(token: token)
        follower.processor.queue.sync {}
        #expect(try follower.grantedSession(1) == 42)
        #expect(follower.processor.queue.sync { follower.processor.sessionOwners[42] } == 1)
    }

    @Test func aSessionTheLeaderDoesNotHaveIsRefusedAfterTheSync() throws {
        let follower = Follower()
        follower.reconnect(1, session: 43)
        let token = try #require(follower.link.syncs.withLock { $0.first })
        follower.processor.syncCompleted(token: token)
        follower.processor.queue.sync {}
        #expect(try follower.grantedSession(1) == 0, "expired")
    }

    @Test func aWrongPasswordIsRefusedWithoutAsking() throws {
        let follower = Follower()
        follower.reconnect(1, session: 44, password: [UInt8](repeating: 9, count: 16))
        #expect(follower.link.syncs.withLock { $0.isEmpty })
        #expect(try follower.grantedSession(1) == 0, "expired")
    }

    @Test func losingTheLeaderMeanwhileClosesTheConnection() throws {
        let follower = Follower()
        follower.reconnect(1, session: 45)
        let token = try #require(follower.link.syncs.withLock { $0.first })
        follower.processor.syncAborted(tokens: [token])
        follower.processor.queue.sync {}
        guard case .close? = follower.replies(to: 1).first else {
            Issue.record("expected the connection closed, got \(follower.replies(to: 1))")
            return
        }
    }
}
