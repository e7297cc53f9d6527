#if canImport(Glibc)
import Glibc
#endif

/// Minimal blocking TCP sockets for developer tools (one thread per connection). The broker's
/// data path does not use this; it has its own non-blocking network layer.
struct BlockingSocket: Sendable {
    let fd: Int32

    enum Failure: Error, CustomStringConvertible {
        case system(String, Int32)
        case closed
        var description: String {
            switch self {
            case .system(let call, let err): return "\(call) failed: \(String(cString: strerror(err)))"
            case .closed: return "connection closed"
            }
        }
    }

    /// Listens on `host:port` (port 0 picks a free one); returns the socket and the bound port.
    static func listen(host: String, port: UInt16) throws -> (BlockingSocket, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.system("socket", errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            Glibc.close(fd)
            throw Failure.system("inet_pton(\(host))", EINVAL)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { let e = errno; Glibc.close(fd); throw Failure.system("bind", e) }
        guard Glibc.listen(fd, 64) == 0 else { let e = errno; Glibc.close(fd); throw Failure.system("listen", e) }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (BlockingSocket(fd: fd), UInt16(bigEndian: actual.sin_port))
    }

    func accept() throws -> BlockingSocket {
        while true {
            let client = Glibc.accept(fd, nil, nil)
            if client >= 0 { return BlockingSocket(fd: client) }
            if errno != EINTR { throw Failure.system("accept", errno) }
        }
    }

    func readExactly(_ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return read(fd, base + done, count - done)
            }
            if n == 0 { throw Failure.closed }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure.system("read", errno)
            }
            done += n
        }
        return buffer
    }

    func writeAll(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return write(fd, base + done, bytes.count - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure.system("write", errno)
            }
            done += n
        }
    }

    func close() { _ = Glibc.close(fd) }
}
