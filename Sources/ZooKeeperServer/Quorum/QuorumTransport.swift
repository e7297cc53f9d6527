import Dispatch
import Network
import Synchronization

/// Where a member listens for its peers (`server.N=host:quorumPort:electionPort`).
struct QuorumAddress: Sendable {
    var host: String
    var quorumPort: UInt16
    var electionPort: UInt16
}

/// Peer connections over TCP, on ZooKeeper's two ports: a listener on the election port for
/// votes and one on the quorum port for everything else (synchronisation, proposals, acks,
/// forwards), and to each peer one outgoing connection per port, carrying `QuorumCodec`
/// frames. Each connection opens with a `hello` naming the sender; a frame from a connection
/// that has not said hello, or a message that belongs on the other port, closes that
/// connection (only). Members are trusted by id, as ZooKeeper's ports are without SASL.
///
/// Delivery is best effort, which the protocol is built for: a frame that cannot go out (the
/// peer is down, the connection broke, too many are queued) is dropped, and the peer catches
/// up from the next heartbeat or vote request. A lost connection is reopened on the next
/// frame, at most every `retryInterval`. Separate links also keep votes from queueing behind
/// a large SNAP.
final class QuorumTransport: Sendable {
    let id: PeerID
    private let servers: [QuorumChannel: TCPServer]
    private let receiver: Receiver
    private let links = Mutex<[PeerID: [QuorumChannel: PeerLink]]>([:])
    /// The member's event loop, which every connection's queue targets (see `ZooKeeperNode`).
    private let targetQueue: DispatchQueue?

    /// A callback kept in a `Mutex`. Boxed: a function value kept directly in a `Mutex` is
    /// re-wrapped in a reabstraction thunk on every `withLock { $0 }`, so each delivered frame
    /// would add a layer and delivery would slow down with every message (seen: chains of
    /// 20,000 thunks).
    final class Callback<Arguments>: Sendable {
        let call: @Sendable (Arguments) -> Void
        init(_ call: @escaping @Sendable (Arguments) -> Void) { self.call = call }
    }

    final class Receiver: Sendable {
        /// Where frames that arrive go (set once the node exists): `(sender, frame body)`.
        let deliver = Mutex<Callback<(PeerID, [UInt8])>?>(nil)
        /// Who hears that a peer's quorum connection to this member closed.
        let lost = Mutex<Callback<PeerID>?>(nil)
        /// Per port (connection ids are only unique within one server): who said hello.
        let senders = Mutex<[QuorumChannel: [UInt64: PeerID]]>([:])
        /// Per port: messages delivered, and messages refused for belonging on the other port.
        let counts = Mutex<[QuorumChannel: (delivered: Int, refused: Int)]>([:])
    }

    /// Listens on `host:quorumPort` and `host:electionPort` (0 picks a free port; see
    /// `port(_:)`): this member's own address, as ZooKeeper binds with `quorumListenOnAllIPs=false`.
    /// Connections in and out run on queues that target `targetQueue` when one is given.
    init(id: PeerID, host: String, quorumPort: UInt16, electionPort: UInt16, targetQueue: DispatchQueue? = nil) throws(NetworkError) {
        self.id = id
        self.targetQueue = targetQueue
        receiver = Receiver()
        var servers: [QuorumChannel: TCPServer] = [:]
        for (channel, port) in [(QuorumChannel.quorum, quorumPort), (.election, electionPort)] {
            var configuration = ServerConfiguration(listeners: [ListenerAddress(name: channel == .quorum ? "QUORUM" : "ELECTION", host: host, port: port)])
            // Votes are tiny: only the quorum port needs room for a SNAP.
            configuration.maxRequestSize = channel == .quorum ? QuorumCodec.maxFrame : 1 << 16
            configuration.numNetworkThreads = 1
            configuration.targetQueue = targetQueue
            let server = try TCPServer(configuration: configuration, handler: Handler(receiver: receiver, channel: channel))
            do {
                try server.start()
            } catch {
                // The other listener may be up already: free its port before failing.
                for started in servers.values { started.shutdown(timeout: .seconds(1)) {} }
                throw error
            }
            servers[channel] = server
        }
        self.servers = servers
    }

    /// The port bound for `channel`.
    func port(_ channel: QuorumChannel) -> UInt16 { servers[channel]?.boundPort ?? 0 }

    /// Messages this member's `channel` listener delivered, and refused as the other port's.
    func received(on channel: QuorumChannel) -> (delivered: Int, refused: Int) {
        receiver.counts.withLock { $0[channel] ?? (0, 0) }
    }

    /// Sends the frames that arrive from now on to `deliver` (a node's `receive(body:from:)`).
    func deliver(to deliver: @escaping @Sendable (PeerID, [UInt8]) -> Void) {
        let callback = Callback<(PeerID, [UInt8])> { deliver($0.0, $0.1) }
        receiver.deliver.withLock { $0 = callback }
    }

    /// Calls `report` with a peer whose connection to this member's quorum port closed: the
    /// peer's process is gone (its kernel closed the socket) or it dropped the link. A follower
    /// learns from it at once that its leader died, as ZooKeeper's does from its socket.
    func onPeerLost(_ report: @escaping @Sendable (PeerID) -> Void) {
        let callback = Callback(report)
        receiver.lost.withLock { $0 = callback }
    }

    /// Where each other member listens.
    func connect(to peers: [PeerID: QuorumAddress]) {
        links.withLock { links in
            for (peer, address) in peers where peer != id && links[peer] == nil {
                links[peer] = [
                    .quorum: PeerLink(from: id, host: address.host, port: address.quorumPort, targetQueue: targetQueue),
                    .election: PeerLink(from: id, host: address.host, port: address.electionPort, targetQueue: targetQueue),
                ]
            }
        }
    }

    /// A whole frame from `QuorumCodec.encode` (length prefix included), on the port its
    /// message belongs on.
    func send(to peer: PeerID, frame: [UInt8]) {
        let body = frame.dropFirst(4)
        guard let channel = QuorumCodec.channel(ofBody: body), let link = links.withLock({ $0[peer]?[channel] }) else { return }
        link.send(Array(body))
    }

    func shutdown() async {
        for link in links.withLock({ $0.values.flatMap(\.values) }) { link.close() }
        for server in servers.values { await server.shutdown(timeout: .seconds(2)) }
    }

    private struct Handler: FrameHandler {
        let receiver: Receiver
        let channel: QuorumChannel

        func handle(frame: [UInt8], from connection: ConnectionInfo, reply: @escaping @Sendable (Reply) -> Void) {
            if let sender = receiver.senders.withLock({ $0[channel]?[connection.id] }) {
                guard QuorumCodec.channel(ofBody: frame[...]) == channel else {
                    receiver.counts.withLock { $0[channel, default: (0, 0)].refused += 1 }
                    return reply(.close(reason: "a frame that does not belong on the \(channel) port"))
                }
                receiver.counts.withLock { $0[channel, default: (0, 0)].delivered += 1 }
                receiver.deliver.withLock { $0 }?.call((sender, frame))
                return reply(.none)
            }
            guard case .hello(let sender)? = try? QuorumCodec.decode(body: frame[...]) else {
                return reply(.close(reason: "\(channel) connection without hello"))
            }
            receiver.senders.withLock { $0[channel, default: [:]][connection.id] = sender }
            reply(.none)
        }

        func connectionClosed(_ connection: ConnectionInfo) {
            let sender = receiver.senders.withLock { $0[channel]?.removeValue(forKey: connection.id) }
            if channel == .quorum, let sender { receiver.lost.withLock { $0 }?.call(sender) }
        }
    }
}

/// The outgoing connection to one peer. A frame goes straight onto the open connection's queue
/// (no task or wait per frame: the frames of a burst share one write); while a connection is
/// being opened, frames wait in a bounded backlog and follow the `hello`. A frame sent when
/// the peer is unreachable and no attempt is due is dropped, as the protocol allows.
final class PeerLink: Sendable {
    static let retryInterval = Duration.milliseconds(200)
    /// Frames kept while a connection is being opened; more are dropped.
    static let backlogLimit = 4096

    private struct State {
        var connection: FrameConnection?
        var connecting = false
        var backlog: [[UInt8]] = []
        var nextAttempt = ContinuousClock.now
        var closed = false
    }

    private let host: String
    private let port: UInt16
    private let hello: [UInt8]
    private let state = Mutex(State())
    private let targetQueue: DispatchQueue?

    init(from id: PeerID, host: String, port: UInt16, targetQueue: DispatchQueue? = nil) {
        self.host = host
        self.port = port
        self.targetQueue = targetQueue
        hello = Array(QuorumCodec.encode(.hello(from: id)).dropFirst(4))
    }

    func send(_ body: [UInt8]) {
        let connect: Bool = state.withLock { state in
            guard !state.closed else { return false }
            if let connection = state.connection {
                // Under the lock, so frames reach the connection in the order they were sent.
                connection.enqueueOneWay(body) { [weak self, weak connection] _ in
                    if let self, let connection { self.dropped(connection) }
                }
                return false
            }
            if state.connecting {
                if state.backlog.count < Self.backlogLimit { state.backlog.append(body) }
                return false
            }
            guard ContinuousClock.now >= state.nextAttempt else { return false }
            state.connecting = true
            state.nextAttempt = ContinuousClock.now + Self.retryInterval
            state.backlog = [body]
            return true
        }
        if connect { open() }
    }

    func close() {
        let connection = state.withLock { state in
            state.closed = true
            state.backlog = []
            defer { state.connection = nil }
            return state.connection
        }
        connection?.close()
    }

    private func open() {
        Task { [self] in
            let opened = try? await FrameConnection.connect(host: host, port: port, timeout: .seconds(1), targetQueue: targetQueue)
            state.withLock { state in
                state.connecting = false
                let backlog = state.backlog
                state.backlog = []
                guard let opened, !state.closed else { return }
                state.connection = opened
                for body in [hello] + backlog {
                    opened.enqueueOneWay(body) { [weak self, weak opened] _ in
                        if let self, let opened { self.dropped(opened) }
                    }
                }
            }
            if let opened, state.withLock({ $0.closed }) { opened.close() }
        }
    }

    /// The connection had ended when a frame was queued: the next frame opens a new one.
    private func dropped(_ connection: FrameConnection) {
        state.withLock { state in
            if state.connection === connection { state.connection = nil }
        }
        connection.close()
    }
}
