import Dispatch

/// Settings of a `TCPServer`. Names in the comments are Kafka's broker configuration keys, whose
/// defaults these follow; the broker maps its configuration onto this type.
public struct ServerConfiguration: Sendable {
    /// `listeners`. At least one.
    public var listeners: [ListenerAddress]
    /// `num.network.threads`: serial queues that own connections and do their socket I/O.
    public var numNetworkThreads: Int = 3
    /// `socket.request.max.bytes`: a larger announced frame closes the connection.
    public var maxRequestSize: Int = 104_857_600
    /// Requests of one connection handed to the handler whose responses have not been sent
    /// (or dropped, for `.none`) yet. At the limit the connection stops reading.
    public var maxInFlightPerConnection: Int = 16
    /// In-memory response bytes one connection may hold unsent (spliced file regions cost no
    /// memory and do not count). Above it the connection stops reading until it drains.
    public var maxPendingOutputBytes: Int = 4 << 20
    /// `connections.max.idle.ms`: a connection with nothing read, in flight or unsent for this
    /// long is closed.
    public var connectionsMaxIdle: Duration = .seconds(600)
    /// `max.connections.per.ip`: connections over it are closed as soon as they are accepted.
    public var maxConnectionsPerIp: Int = .max
    /// `max.connections.per.ip.overrides`: per-host exceptions (numeric address → limit).
    public var maxConnectionsPerIpOverrides: [String: Int] = [:]
    /// `max.connections`, across all listeners.
    public var maxConnections: Int = .max
    /// `socket.listen.backlog.size`.
    public var listenBacklog: Int = 50
    /// `socket.send.buffer.bytes` / `socket.receive.buffer.bytes`; nil (Kafka's -1) keeps the
    /// kernel's default, which lets Linux auto-tune.
    public var socketSendBufferBytes: Int? = nil
    public var socketReceiveBufferBytes: Int? = nil
    /// Looks at the first four bytes of every new connection before they are read as a frame
    /// size (ZooKeeper's four-letter words such as `ruok` arrive unframed on the client port).
    /// Returning bytes claims the connection: they are written as they are (no size prefix)
    /// and the connection closes. Returning nil lets the bytes be read as the first frame's
    /// size as usual. Called on the connection's network thread; must not block.
    public var firstWordResponder: (@Sendable (_ word: UInt32, _ connection: ConnectionInfo) -> [UInt8]?)? = nil
    /// Where the server reports connections it refuses or closes for a cause, one line each.
    public var log: (@Sendable (String) -> Void)? = nil
    /// A serial queue every network thread's queue targets, so their work runs one item at a
    /// time on whichever thread drains it. A server whose handler works on the same queue
    /// (a ZooKeeper node's single event loop) then moves a request from socket to handler and
    /// a reply back without waking another thread. Nil: each network thread is its own.
    public var targetQueue: DispatchQueue? = nil

    public init(listeners: [ListenerAddress]) {
        self.listeners = listeners
    }

    /// One `PLAINTEXT` listener.
    public init(host: String, port: UInt16) {
        self.init(listeners: [ListenerAddress(host: host, port: port)])
    }

    func validate() throws(NetworkError) {
        if listeners.isEmpty { throw .invalidConfiguration("no listeners") }
        var names = Set<String>()
        for listener in listeners where !names.insert(listener.name).inserted {
            throw .invalidConfiguration("listener name \(listener.name) appears twice")
        }
        if numNetworkThreads < 1 { throw .invalidConfiguration("numNetworkThreads must be at least 1") }
        // The size prefix is an int32: nothing larger can be announced anyway.
        if maxRequestSize < 1 || maxRequestSize > Int(Int32.max) {
            throw .invalidConfiguration("maxRequestSize must be between 1 and \(Int32.max)")
        }
        if maxInFlightPerConnection < 1 { throw .invalidConfiguration("maxInFlightPerConnection must be at least 1") }
        if maxPendingOutputBytes < 0 { throw .invalidConfiguration("maxPendingOutputBytes must not be negative") }
        if connectionsMaxIdle <= .zero { throw .invalidConfiguration("connectionsMaxIdle must be positive") }
        if maxConnectionsPerIp < 0 || maxConnections < 0 { throw .invalidConfiguration("connection caps must not be negative") }
        if listenBacklog < 1 { throw .invalidConfiguration("listenBacklog must be at least 1") }
    }
}
