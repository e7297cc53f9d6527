#if canImport(Glibc)
import Glibc
#endif

/// A connected pair of loopback TCP sockets with TCP_NODELAY, as between two coordination
/// nodes on one host.
struct LoopbackPair {
    let a: Int32
    let b: Int32

    init(nonBlocking: Bool) {
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
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        }
        a = client
        b = server
    }

    func close() {
        _ = Glibc.close(a)
        _ = Glibc.close(b)
    }
}

/// Reads exactly `count` bytes from a blocking socket; false at end of stream.
func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Bool {
    var done = 0
    while done < count {
        let got = read(fd, buffer + done, count - done)
        if got <= 0 {
            if got < 0 && errno == EINTR { continue }
            return false
        }
        done += got
    }
    return true
}

/// Writes all of `count` bytes; a loopback socket's buffer always has room for one message.
func writeFully(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) {
    var done = 0
    while done < count {
        let put = write(fd, buffer + done, count - done)
        if put < 0 {
            if errno == EINTR || errno == EAGAIN { continue }
            fatalError("write failed: \(errno)")
        }
        done += put
    }
}

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
