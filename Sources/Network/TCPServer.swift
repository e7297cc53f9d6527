import Dispatch
import Synchronization

/// A TCP server for size-prefixed frames (`int32 big-endian size` + payload, as both Kafka and
/// ZooKeeper frame their requests): Kafka's SocketServer, knowing nothing of Kafka.
///
/// **Lifecycle.** `init` validates the configuration; `start()` binds every listener (port 0
/// picks a free port, see `boundListeners`) and begins accepting; `shutdown(timeout:)` stops
/// accepting and reading, lets requests already read finish and their responses go out (up to
/// the timeout), closes everything, and returns (or calls back) once every socket is closed.
/// A server is started once; call `shutdown` before dropping a started server.
///
/// **Threads.** One acceptor queue and `numNetworkThreads` serial network queues; socket
/// readiness comes from the process's poller thread (`ReadinessPoller`). Each connection belongs to one network queue, which
/// alone touches its state and calls the handler for it. Nothing blocks: replies come back
/// from any thread through `queue.async`. See `Sources/Network/README.md`.
///
/// Ignores SIGPIPE process-wide on start (a peer vanishing during `sendfile` must not kill the
/// process; Linux has no per-socket switch for it).
public final class TCPServer: Sendable {
    private enum Lifecycle {
        case created
        case running
        case stopping(waiters: [@Sendable () -> Void])
        case stopped
    }

    public let configuration: ServerConfiguration
    private let context: ServerContext
    private let threads: [NetworkThread]
    private let acceptor: Acceptor
    private let lifecycle = Mutex(Lifecycle.created)
    private let bound = Mutex<[BoundListener]>([])

    public init(configuration: ServerConfiguration, handler: any FrameHandler) throws(NetworkError) {
        try configuration.validate()
        self.configuration = configuration
        let context = ServerContext(configuration: configuration, handler: handler)
        self.context = context
        self.threads = (0..<configuration.numNetworkThreads).map { NetworkThread(index: $0, context: context) }
        self.acceptor = Acceptor(context: context, threads: threads)
    }

    /// Counters for the broker's metrics.
    public var metrics: NetworkMetrics { context.metrics }

    /// Binds the listeners and starts accepting. Throws if any listener cannot be bound (none
    /// stays bound then), or if called twice.
    public func start() throws(NetworkError) {
        try lifecycle.withLock { state throws(NetworkError) in
            guard case .created = state else { throw .alreadyStarted }
            state = .running
        }
        Posix.ignoreBrokenPipe
        let listeners: [BoundListener]
        do {
            listeners = try acceptor.bind()
        } catch {
            lifecycle.withLock { $0 = .stopped }
            throw error
        }
        bound.withLock { $0 = listeners }
        for thread in threads { thread.start() }
        acceptor.start()
    }

    /// The listeners as bound, in configuration order; empty before `start()`.
    public var boundListeners: [BoundListener] { bound.withLock { $0 } }

    /// The port of the first listener (0 before `start()`).
    public var boundPort: UInt16 { boundListeners.first?.port ?? 0 }

    public func boundPort(listener name: String) -> UInt16? {
        boundListeners.first { $0.name == name }?.port
    }

    /// Graceful shutdown: see the type's documentation. Safe to call more than once and from
    /// several tasks: all of them return when the server is down.
    public func shutdown(timeout: Duration = .seconds(30)) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            shutdown(timeout: timeout) { continuation.resume() }
        }
    }

    /// Graceful shutdown with a completion callback (called on an arbitrary thread).
    public func shutdown(timeout: Duration = .seconds(30), completion: @escaping @Sendable () -> Void) {
        enum Action { case begin, wait, done }
        let action: Action = lifecycle.withLock { state in
            switch state {
            case .created:
                state = .stopped
                return .done
            case .running:
                state = .stopping(waiters: [completion])
                return .begin
            case .stopping(let waiters):
                state = .stopping(waiters: waiters + [completion])
                return .wait
            case .stopped:
                return .done
            }
        }
        switch action {
        case .done: return completion()
        case .wait: return
        case .begin: break
        }
        let deadline = ContinuousClock.now + timeout
        let threads = self.threads
        acceptor.stop { [self] in
            let group = DispatchGroup()
            for thread in threads {
                group.enter()
                thread.drain(deadline: deadline) { group.leave() }
            }
            group.notify(queue: .global()) { [self] in finishShutdown() }
        }
    }

    private func finishShutdown() {
        let waiters: [@Sendable () -> Void] = lifecycle.withLock { state in
            guard case .stopping(let waiters) = state else { return [] }
            state = .stopped
            return waiters
        }
        for waiter in waiters { waiter() }
    }
}
