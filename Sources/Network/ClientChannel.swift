import Dispatch
import Glibc

/// The socket side of a `FrameConnection`: non-blocking connect, writing request frames,
/// reading response frames and matching them to requests in order.
///
/// Confined to its own serial queue (hence `@unchecked Sendable`); the public type reaches it
/// with `queue.async`. Readiness comes from `ReadinessPoller`, as on the server.
final class ClientChannel: @unchecked Sendable {
    typealias ConnectContinuation = CheckedContinuation<Result<Void, NetworkError>, Never>

    private enum State {
        case idle
        case connecting(ConnectContinuation)
        case open
        case closed(NetworkError)
    }

    let queue: DispatchQueue
    /// Sends: at once from under the target queue (if marked) with none still queued, else queued.
    private let sends: OrderedHandOff
    private let sources: SocketSources
    private let peer: String
    private var state = State.idle
    private var decoder: FrameDecoder
    private var outbound = OutboundQueue()
    private var flushScheduled = false
    private var writeBlocked = false
    /// Requests sent or queued, oldest first: responses arrive in this order.
    private var waiting: [PendingRequest] = []
    private var waitingHead = 0
    private let readBuffer: UnsafeMutableBufferPointer<UInt8>
    static let readBufferSize = 64 * 1024

    init(fd: Int32, peer: String, maxFrameSize: Int, targetQueue: DispatchQueue? = nil) {
        self.queue = DispatchQueue(label: "petrel.client \(peer)", target: targetQueue)
        self.sends = OrderedHandOff(queue: queue, root: targetQueue ?? queue)
        self.sources = SocketSources(fd: fd, queue: queue)
        self.peer = peer
        self.decoder = FrameDecoder(maxFrameSize: maxFrameSize)
        self.readBuffer = .allocate(capacity: Self.readBufferSize)
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: Connecting

    /// Connects to `address`, failing at `deadline`. On failure the socket is closed.
    func connect(
        to address: SocketAddress, deadline: ContinuousClock.Instant, timeoutError: NetworkError
    ) async -> Result<Void, NetworkError> {
        await withCheckedContinuation { (continuation: ConnectContinuation) in
            queue.async { [self] in beginConnect(address, deadline: deadline, timeoutError: timeoutError, continuation) }
        }
    }

    private func beginConnect(
        _ address: SocketAddress, deadline: ContinuousClock.Instant, timeoutError: NetworkError,
        _ continuation: ConnectContinuation
    ) {
        state = .connecting(continuation)
        sources.start(
            reading: false,
            readable: { [weak self] in self?.readable() },
            writable: { [weak self] in self?.writable() },
            closed: {},
            failed: { [weak self] reason in self?.close(.io(reason)) })
        let status = address.withSockAddr { Glibc.connect(sources.fd, $0, $1) }
        if status == 0 { return established() }
        // EINTR: the connection still proceeds asynchronously, like EINPROGRESS.
        guard errno == EINPROGRESS || errno == EINTR else { return close(.system(call: "connect to \(peer)", errno: errno)) }
        sources.setWriting(true)
        queue.asyncAfter(deadline: .now() + (deadline - .now).dispatchInterval) { [weak self] in
            guard let self, case .connecting = state else { return }
            close(timeoutError)
        }
    }

    private func established() {
        guard case .connecting(let continuation) = state else { return }
        state = .open
        Posix.setNoDelay(sources.fd)
        sources.setWriting(false)
        sources.setReading(true)
        continuation.resume(returning: .success(()))
    }

    // MARK: Requests

    /// Queues a request frame (size prefix included); `request` is settled by its response,
    /// or by the error that ends the connection. nil `request`: no response expected.
    ///
    /// From under the target queue (marked, see `SerialHierarchy`), with nothing queued before it
    /// and the connection open, the frame is written at once: an ensemble member's proposal then
    /// leaves before the member's own log write in the same turn, instead of two queue hops
    /// after it. `queued` is then called at once too, so it must take no lock the caller holds
    /// when the send can fail: a failure is always reported from the queue.
    func send(_ frame: [UInt8], request: PendingRequest?, queued: (@Sendable (Result<Void, NetworkError>) -> Void)? = nil) {
        if sends.mayRunNow, case .open = state {
            append(frame, request: request, queued: queued)
            guard !writeBlocked else { return }
            flush()
            refresh()
            return
        }
        sends.enqueue { [self] in
            guard case .open = state else {
                let error = closedError
                request?.finish(.failure(error))
                queued?(.failure(error))
                return
            }
            append(frame, request: request, queued: queued)
            scheduleFlush()
        }
    }

    /// On the open connection: the frame joins the output, its request the responses awaited.
    private func append(_ frame: [UInt8], request: PendingRequest?, queued: (@Sendable (Result<Void, NetworkError>) -> Void)?) {
        if let request { waiting.append(request) }
        outbound.append(OutgoingFrame(prefixed: frame))
        queued?(.success(()))
    }

    /// One write for every frame queued in a burst: the flush runs after the sends already
    /// waiting on the queue, so frames sent back to back share a `writev`.
    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        queue.async { [self] in
            flushScheduled = false
            flush()
            refresh()
        }
    }

    func close() {
        queue.async { [self] in close(.connectionClosed) }
    }

    private var closedError: NetworkError {
        if case .closed(let error) = state { return error }
        return .connectionClosed
    }

    // MARK: I/O

    private func readable() {
        guard case .open = state else { return }
        for _ in 0..<4 {
            let count = Glibc.read(sources.fd, readBuffer.baseAddress, readBuffer.count)
            if count > 0 {
                consume(UnsafeBufferPointer(rebasing: readBuffer[0..<count]))
                guard case .open = state else { return }
                if count < readBuffer.count { return }
            } else if count == 0 {
                return close(.connectionClosed)
            } else {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { return }
                return close(code == ECONNRESET ? .connectionClosed : .system(call: "read from \(peer)", errno: code))
            }
        }
    }

    private func consume(_ bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        while index < bytes.count {
            let frame: [UInt8]?
            do {
                frame = try decoder.decode(bytes, from: &index)
            } catch {
                switch error {
                case .tooLarge(let size, let limit): return close(.invalidFrameSize(size, limit: limit))
                case .negative(let size): return close(.invalidFrameSize(size, limit: decoder.maxFrameSize))
                case .empty: return close(.invalidFrameSize(0, limit: decoder.maxFrameSize))
                }
            }
            guard let frame else { continue }
            guard waitingHead < waiting.count else { return close(.unexpectedResponse) }
            let request = waiting[waitingHead]
            waitingHead += 1
            if waitingHead == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                waitingHead = 0
            } else if waitingHead >= 64 {
                waiting.removeFirst(waitingHead)
                waitingHead = 0
            }
            request.finish(.success(frame))
        }
    }

    private func writable() {
        switch state {
        case .connecting:
            let code = Posix.pendingError(sources.fd)
            if code == 0 {
                // A report that reached the queue late can precede the connect's end: wait on.
                return Posix.isConnected(sources.fd) ? established() : ()
            }
            close(.system(call: "connect to \(peer)", errno: code))
        case .open:
            flush()
            refresh()
        case .idle, .closed:
            return
        }
    }

    private func flush() {
        guard case .open = state, !outbound.isEmpty else { return }
        switch outbound.flush(to: sources.fd).outcome {
        case .drained: writeBlocked = false
        case .wouldBlock: writeBlocked = true
        case .peerGone: close(.connectionClosed)
        case .failed(let why): close(.io(why))
        }
    }

    private func refresh() {
        guard case .open = state else { return }
        sources.setWriting(writeBlocked && !outbound.isEmpty)
    }

    private func close(_ error: NetworkError) {
        if case .closed = state { return }
        let previous = state
        state = .closed(error)
        sources.cancel()
        outbound.discardAll()
        let abandoned = waiting[waitingHead...]
        waiting = []
        waitingHead = 0
        if case .connecting(let continuation) = previous { continuation.resume(returning: .failure(error)) }
        for request in abandoned { request.finish(.failure(error)) }
    }
}
