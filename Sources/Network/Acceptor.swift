import Dispatch
import Glibc

/// Binds the listeners and accepts connections (Kafka's Acceptor): each accepted socket is
/// checked against the connection caps, tuned (TCP_NODELAY, buffer sizes) and handed to the
/// network threads in turn.
///
/// Binding happens in `bind()`, on the caller's thread, so `start()` can report failure;
/// everything after that runs on `queue`, which owns the mutable state (`@unchecked Sendable`).
final class Acceptor: @unchecked Sendable {
    private struct Listening {
        let address: ListenerAddress
        let bound: BoundListener
        let sources: SocketSources
        var paused = false
    }

    private let queue = DispatchQueue(label: "petrel.network.acceptor")
    private let context: ServerContext
    private let threads: [NetworkThread]
    private var listening: [Listening] = []
    private var nextThread = 0
    private var stopped = false

    /// How long to stop accepting after running out of descriptors or memory, so the level-
    /// triggered listener does not spin while the condition lasts.
    static let pauseAfterResourceError = DispatchTimeInterval.milliseconds(100)
    /// Connections accepted per readiness event before yielding the queue.
    static let acceptsPerEvent = 64

    init(context: ServerContext, threads: [NetworkThread]) {
        self.context = context
        self.threads = threads
    }

    /// Binds every listener or none: on failure the ones already bound are closed.
    func bind() throws(NetworkError) -> [BoundListener] {
        var opened: [(ListenerAddress, BoundListener, Int32)] = []
        do {
            for address in context.configuration.listeners {
                let (fd, bound) = try Self.listen(on: address, backlog: context.configuration.listenBacklog)
                opened.append((address, bound, fd))
            }
        } catch {
            for (_, _, fd) in opened { _ = Glibc.close(fd) }
            throw error
        }
        queue.sync {
            listening = opened.map { Listening(address: $0.0, bound: $0.1, sources: SocketSources(fd: $0.2, queue: queue)) }
        }
        return opened.map(\.1)
    }

    func start() {
        queue.async { [self] in
            for index in listening.indices {
                let address = listening[index].address
                listening[index].sources.start(
                    readable: { [weak self] in self?.acceptAll(listener: index) },
                    writable: {},
                    closed: {},
                    failed: { [weak self] reason in self?.context.log("cannot accept on \(address): \(reason)") })
            }
        }
    }

    /// Stops accepting; `completion` runs once every listening socket is closed.
    func stop(completion: @escaping @Sendable () -> Void) {
        queue.async { [self] in
            stopped = true
            let group = DispatchGroup()
            for listener in listening {
                group.enter()
                // Replaces the no-op close handler: cancel() closes and then calls it.
                listener.sources.cancel(then: { group.leave() })
            }
            listening = []
            group.notify(queue: queue, execute: completion)
        }
    }

    // MARK: Binding

    private static func listen(on address: ListenerAddress, backlog: Int) throws(NetworkError) -> (Int32, BoundListener) {
        var candidates = try SocketAddress.resolve(host: address.host, port: address.port, passive: true) ?? []
        // An empty host means every interface: a dual-stack IPv6 socket covers IPv4 as well.
        if address.host.isEmpty {
            candidates.sort { $0.family == AF_INET6 && $1.family != AF_INET6 }
        }
        var lastError: Int32 = EADDRNOTAVAIL
        for candidate in candidates {
            let fd: Int32
            do { fd = try Posix.socket(family: candidate.family) } catch {
                if case .system(_, let code) = error { lastError = code }
                continue
            }
            do {
                return (fd, try Self.bindAndListen(fd, candidate, name: address.name, backlog: backlog))
            } catch {
                _ = Glibc.close(fd)
                if case .system(_, let code) = error { lastError = code }
            }
        }
        throw .bindFailed(address: address.description, errno: lastError)
    }

    private static func bindAndListen(
        _ fd: Int32, _ address: SocketAddress, name: String, backlog: Int
    ) throws(NetworkError) -> BoundListener {
        try Posix.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, call: "setsockopt(SO_REUSEADDR)")
        if address.family == AF_INET6 {
            // A wildcard IPv6 listener takes IPv4 clients too (as IPv4-mapped addresses).
            try Posix.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0, call: "setsockopt(IPV6_V6ONLY)")
        }
        if address.withSockAddr({ Glibc.bind(fd, $0, $1) }) != 0 { throw .system(call: "bind", errno: errno) }
        if Glibc.listen(fd, Int32(clamping: backlog)) != 0 { throw .system(call: "listen", errno: errno) }
        guard let local = SocketAddress.local(of: fd) else { throw .system(call: "getsockname", errno: errno) }
        return BoundListener(name: name, host: local.host, port: local.port)
    }

    // MARK: Accepting

    private func acceptAll(listener index: Int) {
        guard !stopped, index < listening.count else { return }
        let listener = listening[index]
        for _ in 0..<Self.acceptsPerEvent {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.accept(listener.sources.fd, $0, &length)
                }
            }
            if fd >= 0 {
                // accept4 is not exported by Glibc's Swift module: set the flags after.
                guard Posix.makeNonBlocking(fd) else {
                    context.log("cannot make an accepted socket non-blocking: \(errnoText(errno))")
                    _ = Glibc.close(fd)
                    continue
                }
                admit(fd, remote: SocketAddress(storage: storage, length: length), listener: listener.address.name)
                continue
            }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO:
                continue  // interrupted, or the client left before we took it
            case EAGAIN, EWOULDBLOCK:
                return
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                context.log("cannot accept on \(listener.address): \(errnoText(errno)); pausing accepts for 100 ms")
                return pause(listener: index)
            default:
                context.log("accept on \(listener.address) failed: \(errnoText(errno))")
                return
            }
        }
    }

    private func admit(_ fd: Int32, remote: SocketAddress, listener: String) {
        let host = remote.host
        if let refusal = context.quotas.admit(host: host) {
            // Counted and reported before the close, so whoever sees the close sees both.
            context.metrics.refusedConnections.add(1, ordering: .relaxed)
            context.log("refusing connection from \(host):\(remote.port) on \(listener): \(refusal)")
            _ = Glibc.close(fd)
            return
        }
        Posix.setNoDelay(fd)
        Posix.setBufferSizes(
            fd, send: context.configuration.socketSendBufferBytes, receive: context.configuration.socketReceiveBufferBytes)
        context.metrics.acceptedConnections.add(1, ordering: .relaxed)
        context.metrics.openConnections.add(1, ordering: .relaxed)
        let info = ConnectionInfo(id: context.nextConnectionID(), remoteHost: host, remotePort: remote.port, listenerName: listener)
        let thread = threads[nextThread]
        nextThread = (nextThread + 1) % threads.count
        thread.adopt(fd: fd, info: info)
    }

    private func pause(listener index: Int) {
        listening[index].paused = true
        listening[index].sources.setReading(false)
        queue.asyncAfter(deadline: .now() + Self.pauseAfterResourceError) { [self] in
            guard !stopped, index < listening.count, listening[index].paused else { return }
            listening[index].paused = false
            listening[index].sources.setReading(true)
        }
    }
}
