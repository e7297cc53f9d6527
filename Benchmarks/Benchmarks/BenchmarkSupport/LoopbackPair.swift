#if canImport(Glibc)
import Glibc
#endif

/// A connected pair of loopback TCP sockets (`a` connected, `b` accepted), for benchmarks that
/// measure what crosses a socket: with TCP_NODELAY by default, as between two coordination
/// nodes on one host.
public struct LoopbackPair: Sendable {
    public let a: Int32
    public let b: Int32

    public init(noDelay: Bool = true, nonBlocking: Bool) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                precondition(bind(listener, raw, length) == 0 && listen(listener, 1) == 0, "loopback listen failed")
                precondition(getsockname(listener, raw, &length) == 0)
            }
        }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                precondition(connect(client, raw, length) == 0, "loopback connect failed")
            }
        }
        let server = accept(listener, nil, nil)
        precondition(server >= 0, "loopback accept failed")
        _ = Glibc.close(listener)
        for fd in [client, server] {
            var on: Int32 = 1
            if noDelay { setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size)) }
            if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        }
        a = client
        b = server
    }

    public func close() {
        _ = Glibc.close(a)
        _ = Glibc.close(b)
    }
}
