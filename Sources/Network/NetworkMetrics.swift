import Synchronization

/// Counters of a server's network activity, updated with relaxed atomics from the network
/// threads and read at any time (a snapshot is not one instant across counters).
public final class NetworkMetrics: Sendable {
    let openConnections = Atomic<Int>(0)
    let acceptedConnections = Atomic<Int>(0)
    let refusedConnections = Atomic<Int>(0)
    let framesRead = Atomic<Int>(0)
    let framesWritten = Atomic<Int>(0)
    let bytesRead = Atomic<Int>(0)
    let bytesWritten = Atomic<Int>(0)
    let writeCalls = Atomic<Int>(0)

    public init() {}

    public struct Snapshot: Sendable, Hashable {
        public var openConnections: Int
        /// Accepted and admitted; refused ones are counted apart.
        public var acceptedConnections: Int
        /// Closed at once for a connection cap.
        public var refusedConnections: Int
        public var framesRead: Int
        public var framesWritten: Int
        public var bytesRead: Int
        public var bytesWritten: Int
        /// System calls that put response bytes on a socket (a gather write or a `sendfile`).
        public var writeCalls: Int
    }

    public var snapshot: Snapshot {
        Snapshot(
            openConnections: openConnections.load(ordering: .relaxed),
            acceptedConnections: acceptedConnections.load(ordering: .relaxed),
            refusedConnections: refusedConnections.load(ordering: .relaxed),
            framesRead: framesRead.load(ordering: .relaxed),
            framesWritten: framesWritten.load(ordering: .relaxed),
            bytesRead: bytesRead.load(ordering: .relaxed),
            bytesWritten: bytesWritten.load(ordering: .relaxed),
            writeCalls: writeCalls.load(ordering: .relaxed))
    }
}
