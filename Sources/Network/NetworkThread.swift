import Dispatch
import Glibc

/// One network thread (Kafka's Processor): a serial queue that owns a share of the server's
/// connections and runs all their socket I/O, framing, ordering and idle checks.
///
/// Everything mutable here and in its connections is touched only on `queue` (hence
/// `@unchecked Sendable`); other threads reach it with `queue.async`. Handlers are called on
/// this queue and must not block it.
final class NetworkThread: @unchecked Sendable {
    let queue: DispatchQueue
    let context: ServerContext
    /// Bytes go from the socket to here, then into frames; one read at a time per queue.
    let readBuffer: UnsafeMutableBufferPointer<UInt8>
    static let readBufferSize = 64 * 1024

    private var connections: [UInt64: ServerConnection] = [:]
    /// Connections with output queued since the last flush pass (see `flushSoon`).
    private var awaitingFlush: [ServerConnection] = []
    /// Connections whose descriptor is not closed yet (closing completes asynchronously).
    private var openSockets = 0
    private var idleTimer: (any DispatchSourceTimer)?
    private var draining = false
    private var onDrained: (@Sendable () -> Void)?

    /// The serial queue at the top of `queue`'s hierarchy (see `SerialHierarchy`).
    private let root: DispatchQueue

    init(index: Int, context: ServerContext) {
        self.queue = DispatchQueue(label: "petrel.network.\(index)", target: context.configuration.targetQueue)
        root = context.configuration.targetQueue ?? queue
        SerialHierarchy.mark(root)
        self.context = context
        self.readBuffer = .allocate(capacity: Self.readBufferSize)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Starts the idle sweep: often enough that a connection overstays its idle limit by at
    /// most a tenth of it (and at most a second).
    func start() {
        queue.async { [self] in
            let idle = context.configuration.connectionsMaxIdle
            let period = min(max(idle / 10, .milliseconds(5)), .seconds(1))
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(
                deadline: .now() + period.dispatchInterval, repeating: period.dispatchInterval,
                leeway: (period / 4).dispatchInterval)
            timer.setEventHandler { [weak self] in self?.closeIdleConnections() }
            timer.activate()
            idleTimer = timer
        }
    }

    /// Takes over an accepted, admitted socket. Any thread.
    func adopt(fd: Int32, info: ConnectionInfo) {
        queue.async { [self] in
            guard !draining else {
                _ = Glibc.close(fd)
                context.quotas.release(host: info.remoteHost)
                context.metrics.openConnections.subtract(1, ordering: .relaxed)
                return
            }
            let connection = ServerConnection(fd: fd, info: info, thread: self)
            connections[info.id] = connection
            openSockets += 1
            context.handler.connectionOpened(info, channel: ConnectionChannel(thread: self, connectionID: info.id))
            connection.start()
        }
    }

    /// Hands a reply to its connection, or releases it if the connection has gone. Any thread.
    /// From under the thread's own hierarchy (a handler on the same event loop) replies, pushes
    /// and closes are taken at once, all three alike so they keep the order they were made in:
    /// queued, a reply waited behind everything the loop got meanwhile.
    func deliver(_ reply: Reply, connectionID: UInt64, sequence: UInt64) {
        onQueue { [self] in
            guard let connection = connections[connectionID] else { return reply.discard() }
            connection.complete(sequence, with: reply)
        }
    }

    /// Queues a frame nobody asked for (see `ConnectionChannel`). Any thread.
    func push(_ frame: OutgoingFrame, connectionID: UInt64) {
        onQueue { [self] in
            guard let connection = connections[connectionID] else { return frame.finish(written: false) }
            connection.push(frame)
        }
    }

    /// Flushes what is queued, then closes (see `ConnectionChannel.close`). Any thread.
    func closeConnection(_ connectionID: UInt64, reason: String) {
        onQueue { [self] in connections[connectionID]?.finish(reason: reason) }
    }

    private func onQueue(_ body: @escaping @Sendable () -> Void) {
        SerialHierarchy.run(on: queue, under: root, body)
    }

    // MARK: Called by connections, on the queue

    /// Writes `connection`'s queued output once the work already queued here has run, so that
    /// replies completed together (a batch of commits, a burst of pipelined reads) leave in one
    /// gather write instead of one system call and one segment each. The pass goes behind
    /// every `deliver` enqueued before it; one pass serves all connections that asked.
    func flushSoon(_ connection: ServerConnection) {
        awaitingFlush.append(connection)
        guard awaitingFlush.count == 1 else { return }
        queue.async { [self] in
            let due = awaitingFlush
            awaitingFlush = []
            for connection in due { connection.flushRequested() }
        }
    }

    func connectionDidClose(_ id: UInt64) {
        connections[id] = nil
    }

    func socketDidClose() {
        openSockets -= 1
        finishDrainIfDone()
    }

    // MARK: Idle and shutdown

    private func closeIdleConnections() {
        let now = ContinuousClock.now
        let limit = context.configuration.connectionsMaxIdle
        for connection in connections.values {
            connection.closeIfIdle(now: now, limit: limit)
        }
    }

    /// Stops reading everywhere, lets every connection finish the requests it has read and
    /// send their responses, and calls `completion` once every socket is closed, forcing the
    /// rest closed at `deadline`. Any thread.
    func drain(deadline: ContinuousClock.Instant, completion: @escaping @Sendable () -> Void) {
        queue.async { [self] in
            draining = true
            onDrained = completion
            for connection in connections.values {
                connection.beginDrain()
            }
            finishDrainIfDone()
            guard onDrained != nil else { return }
            queue.asyncAfter(deadline: .now() + (deadline - .now).dispatchInterval) { [self] in
                guard onDrained != nil else { return }
                for connection in connections.values {
                    connection.close(reason: "shutdown timed out with requests unanswered or responses unsent")
                }
            }
        }
    }

    private func finishDrainIfDone() {
        guard draining, connections.isEmpty, openSockets == 0, let done = onDrained else { return }
        onDrained = nil
        idleTimer?.cancel()
        idleTimer = nil
        done()
    }
}
