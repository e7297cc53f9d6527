import Glibc

/// What can go wrong in the network layer, with enough detail to say what and why.
public enum NetworkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A POSIX call failed; `errno` is the value it left.
    case system(call: String, errno: Int32)
    /// A host name or address could not be resolved.
    case unresolvable(host: String, reason: String)
    /// No address of a listener could be bound.
    case bindFailed(address: String, errno: Int32)
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// The connection attempt took longer than its timeout.
    case connectTimedOut(host: String, port: UInt16)
    /// The connection is closed (by either side) or was never open.
    case connectionClosed
    /// The peer announced a frame size that is negative, zero or larger than the limit.
    case invalidFrameSize(Int, limit: Int)
    /// Reading or writing the socket failed; the text says how.
    case io(String)
    /// The peer sent a response nobody was waiting for.
    case unexpectedResponse
    /// The task waiting for the operation was cancelled.
    case cancelled
    /// `start()` called twice, or after `shutdown`.
    case alreadyStarted

    public var description: String {
        switch self {
        case .system(let call, let code): "\(call) failed: \(errnoText(code))"
        case .unresolvable(let host, let reason): "cannot resolve \(host): \(reason)"
        case .bindFailed(let address, let code): "cannot listen on \(address): \(errnoText(code))"
        case .invalidConfiguration(let text): "invalid network configuration: \(text)"
        case .connectTimedOut(let host, let port): "connecting to \(host):\(port) timed out"
        case .connectionClosed: "connection closed"
        case .invalidFrameSize(let size, let limit): "invalid frame size \(size) (limit \(limit))"
        case .io(let text): text
        case .unexpectedResponse: "received a response no request was waiting for"
        case .cancelled: "cancelled"
        case .alreadyStarted: "server already started or shut down"
        }
    }
}

/// `strerror` text with the symbolic number, e.g. "Connection refused (errno 111)".
func errnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return "\(String(cString: text)) (errno \(code))"
}
