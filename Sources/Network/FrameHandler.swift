/// The seam between the network layer and whatever speaks a protocol over it (the Kafka
/// broker, later the ZooKeeper service).
///
/// **Calls.** `handle` is called on the connection's network thread, once per complete frame,
/// in arrival order per connection; it must not block (hand slow work to another queue). It
/// must call `reply` exactly once, from any thread, now or later. Requests of one connection may
/// be completed in any order: the connection sends their responses strictly in request order,
/// holding completed later ones until the earlier ones are out, and keeps reading (up to
/// `maxInFlightPerConnection`) meanwhile.
///
/// **Misuse is contained, not trusted.** A second call to `reply` is ignored (its frame is
/// released). Releasing `reply` without calling it counts as `.close`, so a connection never
/// waits forever on a forgotten request.
///
/// `connectionClosed` is called once per connection, on its network thread, after its socket
/// is closed; replies that arrive later are released without being sent.
public protocol FrameHandler: Sendable {
    /// - Parameter frame: the payload, without its 4-byte size prefix.
    func handle(frame: [UInt8], from connection: ConnectionInfo, reply: @escaping @Sendable (Reply) -> Void)
    func connectionClosed(_ connection: ConnectionInfo)
    /// Called once per connection, on its network thread, before its first frame: the channel
    /// lets the handler push frames nobody asked for and close the connection later.
    func connectionOpened(_ connection: ConnectionInfo, channel: ConnectionChannel)
}

extension FrameHandler {
    public func connectionClosed(_ connection: ConnectionInfo) {}
    public func connectionOpened(_ connection: ConnectionInfo, channel: ConnectionChannel) {}
}

/// Who is on the other end of a connection, for handlers and logs.
public struct ConnectionInfo: Sendable, Hashable, CustomStringConvertible {
    /// Unique within the process, never reused.
    public let id: UInt64
    /// Numeric address; IPv4 clients of a dual-stack listener appear as plain IPv4.
    public let remoteHost: String
    public let remotePort: UInt16
    public let listenerName: String

    public init(id: UInt64, remoteHost: String, remotePort: UInt16, listenerName: String) {
        self.id = id
        self.remoteHost = remoteHost
        self.remotePort = remotePort
        self.listenerName = listenerName
    }

    public var description: String {
        let host = remoteHost.contains(":") ? "[\(remoteHost)]" : remoteHost
        return "#\(id) from \(host):\(remotePort) on \(listenerName)"
    }
}

/// A handler's answer to one request.
public enum Reply: Sendable {
    /// A response frame, sent when every earlier request of the connection has been answered.
    case frame(OutgoingFrame)
    /// No response (Kafka's Produce with acks=0); it still takes its turn in the ordering.
    case none
    /// Send the responses of earlier requests, then close; later replies are dropped.
    /// The reason is logged.
    case close(reason: String)

    /// Lets go of a reply that will not be sent.
    func discard() {
        if case .frame(let frame) = self { frame.finish(written: false) }
    }
}
