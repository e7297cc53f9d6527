import Network
import Synchronization

/// Peer connections over TCP (a first cut): a listener for frames from the other members
/// and one outgoing connection to each, carrying `QuorumCodec` frames. Each connection opens
/// with a `hello` naming the sender; a frame from a connection that has not said hello closes
/// it. Members are trusted by id, as ZooKeeper's quorum port does without SASL.
///
/// Delivery is best effort, which the protocol is built for: a frame that cannot go out (the
/// peer is down, the connection broke, too many are queued) is dropped, and the peer catches
/// up from the next heartbeat. A lost connection is reopened on the next frame, at most every
/// `retryInterval`.
///
/// Both ends carry every message for now; splitting the votes off to the election port is
/// a matter of a second listener and link per peer.
final class QuorumTransport: Sendable {
    let id: PeerID
    private let server: TCPServer
    private let receiver: Receiver
    private let links = Mutex<[PeerID: PeerLink]>([:])

    /// Where frames that arrive go (set once the node exists): `(sender, frame body)`.
    final class Receiver: Sendable {
        let deliver = Mutex<(@Sendable (PeerID, [UInt8]) -> Void)?>(nil)
        let senders = Mutex<[UInt64: PeerID]>([:])
    }

    /// Listens on `host:port` (0 picks a free port; see `port`).
    init(id: PeerID, host: String, port: UInt16) throws(NetworkError) {
        self.id = id
        receiver = Receiver()
        var configuration = ServerConfiguration(listeners: [ListenerAddress(name: "QUORUM", host: host, port: port)])
        configuration.maxRequestSize = QuorumCodec.maxFrame
        configuration.numNetworkThreads = 1
        server = try TCPServer(configuration: configuration, handler: Handler(receiver: receiver))
        try server.start()
    }

    var port: UInt16 { server.boundPort }

    /// Sends the frames that arrive from now on to `deliver` (a node's `receive(body:from:)`).
    func deliver(to deliver: @escaping @Sendable (PeerID, [UInt8]) -> Void) {
        receiver.deliver.withLock { $0 = deliver }
    }

    /// Where each other member listens.
    func connect(to peers: [PeerID: (host: String, port: UInt16)]) {
        links.withLock { links in
            for (peer, address) in peers where peer != id && links[peer] == nil {
                links[peer] = PeerLink(from: id, host: address.host, port: address.port)
            }
        }
    }

    /// A whole frame from `QuorumCodec.encode` (length prefix included).
    func send(to peer: PeerID, frame: [UInt8]) {
        guard frame.count > 4, let link = links.withLock({ $0[peer] }) else { return }
        link.send(Array(frame.dropFirst(4)))
    }

    func shutdown() async {
        for link in links.withLock({ Array($0.values) }) { link.close() }
        await server.shutdown(timeout: .seconds(2))
    }

    private struct Handler: FrameHandler {
        let receiver: Receiver

        func handle(frame: [UInt8], from connection: ConnectionInfo, reply: @escaping @Sendable (Reply) -> Void) {
            if let sender = receiver.senders.withLock({ $0[connection.id] }) {
                receiver.deliver.withLock { $0 }?(sender, frame)
                return reply(.none)
            }
            guard case .hello(let sender)? = try? QuorumCodec.decode(body: frame[...]) else {
                return reply(.close(reason: "quorum connection without hello"))
            }
            receiver.senders.withLock { $0[connection.id] = sender }
            reply(.none)
        }

        func connectionClosed(_ connection: ConnectionInfo) {
            _ = receiver.senders.withLock { $0.removeValue(forKey: connection.id) }
        }
    }
}

/// The outgoing connection to one peer: frames queue in a bounded stream and one task
/// writes them in order, connecting (and saying hello) when it has none.
final class PeerLink: Sendable {
    static let retryInterval = Duration.milliseconds(200)
    private let continuation: AsyncStream<[UInt8]>.Continuation
    private let task: Task<Void, Never>

    init(from id: PeerID, host: String, port: UInt16) {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(4096))
        self.continuation = continuation
        let hello = Array(QuorumCodec.encode(.hello(from: id)).dropFirst(4))
        task = Task {
            var connection: FrameConnection?
            var nextAttempt = ContinuousClock.now
            for await body in stream {
                if connection == nil && ContinuousClock.now >= nextAttempt {
                    nextAttempt = ContinuousClock.now + Self.retryInterval
                    if let opened = try? await FrameConnection.connect(host: host, port: port, timeout: .seconds(1)) {
                        do {
                            try await opened.sendOneWay(hello)
                            connection = opened
                        } catch {
                            opened.close()
                        }
                    }
                }
                guard let open = connection else { continue }
                do {
                    try await open.sendOneWay(body)
                } catch {
                    open.close()
                    connection = nil
                }
            }
            connection?.close()
        }
    }

    func send(_ body: [UInt8]) {
        continuation.yield(body)
    }

    func close() {
        continuation.finish()
        task.cancel()
    }
}
