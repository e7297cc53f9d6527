import Dispatch
import Synchronization

/// A client connection for size-prefixed frames: tools, tests and broker-to-broker calls.
///
/// `send` writes a request and returns its response payload; several may be outstanding at
/// once (from concurrent tasks), and responses are matched to requests in the order the
/// requests were queued, as Kafka and ZooKeeper answer. `sendOneWay` is for requests that get
/// no response (Produce with acks=0). Nothing blocks a thread: socket I/O runs on the
/// connection's Dispatch queue and callers wait in continuations. Host names are resolved on
/// a Dispatch worker (getaddrinfo may wait on DNS); numeric addresses are not looked up.
///
/// A cancelled `send` throws `.cancelled` at once; its request may still go out, and its
/// response is then read and dropped, so later responses stay matched. When the connection
/// ends (peer closed, error, `close()`), every waiting `send` throws.
public final class FrameConnection: Sendable {
    public let host: String
    public let port: UInt16
    private let channel: ClientChannel

    private init(host: String, port: UInt16, channel: ClientChannel) {
        self.host = host
        self.port = port
        self.channel = channel
    }

    deinit {
        channel.close()
    }

    /// Connects to the first address of `host` that accepts within the time left.
    /// - Parameters:
    ///   - maxFrameSize: a response announcing more is refused and ends the connection.
    ///   - targetQueue: the serial queue the connection's own queue targets (see
    ///     `ServerConfiguration.targetQueue`); nil, its own.
    public static func connect(
        host: String, port: UInt16, timeout: Duration = .seconds(10), maxFrameSize: Int = Int(Int32.max),
        targetQueue: DispatchQueue? = nil
    ) async throws(NetworkError) -> FrameConnection {
        Posix.ignoreBrokenPipe
        let deadline = ContinuousClock.now + timeout
        let addresses = try await resolve(host: host, port: port)
        let timedOut = NetworkError.connectTimedOut(host: host, port: port)
        var lastError = timedOut
        for address in addresses where ContinuousClock.now < deadline {
            let fd: Int32
            do { fd = try Posix.socket(family: address.family) } catch {
                lastError = error  // e.g. no IPv6 on this machine: try the next address
                continue
            }
            let channel = ClientChannel(fd: fd, peer: address.description, maxFrameSize: maxFrameSize, targetQueue: targetQueue)
            switch await channel.connect(to: address, deadline: deadline, timeoutError: timedOut) {
            case .success: return FrameConnection(host: host, port: port, channel: channel)
            case .failure(let error): lastError = error
            }
        }
        throw lastError
    }

    /// Sends one request frame (payload without size prefix) and returns the response payload.
    public func send(_ payload: [UInt8]) async throws(NetworkError) -> [UInt8] {
        let frame = try Self.prefixed(payload)
        let request = PendingRequest()
        let channel = self.channel
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: PendingRequest.Continuation) in
                if request.install(continuation) { channel.send(frame, request: request) }
            }
        } onCancel: {
            request.cancel()
        }
        return try result.get()
    }

    /// Sends a request that gets no response. Returns once it is queued on the connection.
    public func sendOneWay(_ payload: [UInt8]) async throws(NetworkError) {
        let frame = try Self.prefixed(payload)
        let channel = self.channel
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, NetworkError>, Never>) in
            channel.send(frame, request: nil) { continuation.resume(returning: $0) }
        }
        try result.get()
    }

    /// Queues a request that gets no response without waiting (for callers that are not async
    /// and send many small frames: the queued frames go out together, in order). `refused`
    /// is called, on the connection's queue, if the connection had already ended; frames lost
    /// when it ends later are not reported (the caller learns from the next send).
    public func enqueueOneWay(_ payload: [UInt8], refused: @escaping @Sendable (NetworkError) -> Void) {
        let frame: [UInt8]
        do {
            frame = try Self.prefixed(payload)
        } catch {
            // Never synchronously: the caller may hold a lock its `refused` takes.
            return DispatchQueue.global().async { refused(error) }
        }
        channel.send(frame, request: nil) { result in
            if case .failure(let error) = result { refused(error) }
        }
    }

    /// Closes the connection; waiting sends throw `.connectionClosed`.
    public func close() {
        channel.close()
    }

    private static func prefixed(_ payload: [UInt8]) throws(NetworkError) -> [UInt8] {
        guard !payload.isEmpty, payload.count <= Int(Int32.max) else {
            throw .invalidFrameSize(payload.count, limit: Int(Int32.max))
        }
        return OutgoingFrame(payload: payload).bytes
    }

    private static func resolve(host: String, port: UInt16) async throws(NetworkError) -> [SocketAddress] {
        if let numeric = try SocketAddress.resolve(host: host, port: port, passive: false, numericOnly: true) {
            return numeric
        }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[SocketAddress]?, NetworkError>, Never>) in
            DispatchQueue.global().async {
                continuation.resume(returning: Result { () throws(NetworkError) in
                    try SocketAddress.resolve(host: host, port: port, passive: false)
                })
            }
        }
        return try result.get() ?? []
    }
}
