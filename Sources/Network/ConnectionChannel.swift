/// A handle on one open connection for traffic the server starts itself, rather than in
/// answer to a request: ZooKeeper's watch notifications (xid -1) and closing a connection whose
/// session expired.
///
/// Given to the handler by `FrameHandler.connectionOpened`. Usable from any thread; every call
/// is carried to the connection's network thread. Once the connection has closed, calls do
/// nothing (a pushed frame is released with `onDone(false)`).
///
/// **Ordering.** A pushed frame skips the request/reply sequencer and goes straight to the
/// output queue. It is therefore written after every reply already released to the socket, and
/// before any reply `reply`-ed after the push from the same thread (both travel through the
/// network thread's serial queue in call order), but ahead of replies still held back behind an
/// earlier unanswered request. A handler that answers a connection's requests in order (as a
/// ZooKeeper server does) gets exactly the order it issued.
public struct ConnectionChannel: Sendable {
    let thread: NetworkThread
    public let connectionID: UInt64

    init(thread: NetworkThread, connectionID: UInt64) {
        self.thread = thread
        self.connectionID = connectionID
    }

    /// Queues `frame` for the connection, outside the request/reply order.
    public func push(_ frame: OutgoingFrame) {
        thread.push(frame, connectionID: connectionID)
    }

    /// Writes what is already queued for output, then closes; replies not yet released and
    /// frames pushed later are dropped. The reason is logged.
    public func close(reason: String) {
        thread.closeConnection(connectionID, reason: reason)
    }
}
