import Glibc

/// Thin wrappers over the socket calls the module makes, with errors as `NetworkError`.
enum Posix {
    static func socket(family: Int32) throws(NetworkError) -> Int32 {
        let fd = Glibc.socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw .system(call: "socket", errno: errno) }
        return fd
    }

    /// O_NONBLOCK and FD_CLOEXEC on a descriptor that was created without them.
    static func makeNonBlocking(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { return false }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return true
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, call: String) throws(NetworkError) {
        var value = value
        if setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw .system(call: call, errno: errno)
        }
    }

    /// Disables Nagle's algorithm: responses are whole frames written at once, and a request
    /// waiting on a delayed ACK would add latency for nothing.
    static func setNoDelay(_ fd: Int32) {
        try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, call: "setsockopt(TCP_NODELAY)")
    }

    static func setBufferSizes(_ fd: Int32, send: Int?, receive: Int?) {
        if let send, send > 0 {
            try? setOption(fd, SOL_SOCKET, SO_SNDBUF, Int32(clamping: send), call: "setsockopt(SO_SNDBUF)")
        }
        if let receive, receive > 0 {
            try? setOption(fd, SOL_SOCKET, SO_RCVBUF, Int32(clamping: receive), call: "setsockopt(SO_RCVBUF)")
        }
    }

    /// The pending error of a socket (the outcome of a non-blocking connect).
    static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0 { return errno }
        return value
    }

    /// Whether a socket has a peer: false while a non-blocking connect is still under way.
    static func isConnected(_ fd: Int32) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
    }

    /// Writing to a socket whose peer has gone raises SIGPIPE, which kills the process unless
    /// ignored. `sendmsg` takes MSG_NOSIGNAL, but `sendfile` has no such flag, so the signal is
    /// ignored process-wide, as the JVM does for Kafka. Evaluated once.
    static let ignoreBrokenPipe: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()
}
