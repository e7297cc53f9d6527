import Dispatch
import Glibc
import Synchronization
import Testing
import Wire

@testable import Network

/// Every network test: one at a time (several count descriptors or connections of the whole
/// process), each bounded in time.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct NetworkTests {}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: Handlers

/// Answers every frame with itself.
struct EchoHandler: FrameHandler {
    func handle(frame: [UInt8], from connection: ConnectionInfo, reply: @escaping @Sendable (Reply) -> Void) {
        reply(.frame(OutgoingFrame(payload: frame)))
    }
}

/// A handler made of closures.
struct TestHandler: FrameHandler {
    let onFrame: @Sendable ([UInt8], ConnectionInfo, @escaping @Sendable (Reply) -> Void) -> Void
    var onClosed: (@Sendable (ConnectionInfo) -> Void)? = nil

    func handle(frame: [UInt8], from connection: ConnectionInfo, reply: @escaping @Sendable (Reply) -> Void) {
        onFrame(frame, connection, reply)
    }

    func connectionClosed(_ connection: ConnectionInfo) {
        onClosed?(connection)
    }
}

/// Keeps what the server logs, to check each cause is reported.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var sink: @Sendable (String) -> Void { { [self] line in lines.withLock { $0.append(line) } } }
    var all: [String] { lines.withLock { $0 } }

    func count(containing text: String) -> Int {
        all.filter { $0.contains(text) }.count
    }
}

/// A counter and a list shared with handlers.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func with<R: Sendable>(_ body: @Sendable (inout Value) -> R) -> R { value.withLock { body(&$0) } }
    var current: Value { value.withLock { $0 } }
}

// MARK: Running a server

func startServer(
    handler: any FrameHandler, log: LogRecorder = LogRecorder(), _ configure: (inout ServerConfiguration) -> Void = { _ in }
) throws -> TCPServer {
    var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.log = log.sink
    configure(&configuration)
    let server = try TCPServer(configuration: configuration, handler: handler)
    try server.start()
    return server
}

/// A TCP socket bound to a free loopback port, not listening yet: connecting to it is refused
/// until the caller listens.
func boundLoopbackSocket() throws -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else {
        close(fd)
        throw TestFailure("bind: \(errno)")
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, UInt16(bigEndian: address.sin_port))
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// How many of this process's descriptors are TCP sockets with `port` at either end: the
/// listener, the server's accepted connections and the clients' ends. Other suites run in
/// parallel in the same process and open and close descriptors of their own at any moment, so
/// counting every descriptor (as this once did) made a leak check flaky; these are the test's
/// own server's alone.
func openSocketCount(port: UInt16) -> Int {
    var inodes = Set<Substring>()
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        guard let file = fopen(table, "r") else { continue }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        // sl local_address rem_address st queues timer retransmits uid timeout inode ...
        while getline(&line, &capacity, file) > 0, let line {
            let fields = String(cString: line).split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9, fields[0] != "sl" else { continue }
            let ports = [fields[1], fields[2]].compactMap { $0.split(separator: ":").last.flatMap { UInt16($0, radix: 16) } }
            if ports.contains(port), fields[9] != "0" { inodes.insert(fields[9]) }
        }
    }
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    var target = [CChar](repeating: 0, count: 64)
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard name != "." && name != ".." else { continue }
        let length = readlink("/proc/self/fd/" + name, &target, target.count - 1)
        guard length > 0 else { continue }
        let link = String(decoding: target.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // "socket:[12345]"
        guard link.hasPrefix("socket:["), link.hasSuffix("]") else { continue }
        if inodes.contains(link.dropFirst(8).dropLast()) { count += 1 }
    }
    return count
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

func uint32(_ bytes: [UInt8]) -> UInt32 {
    bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
}

// MARK: A blocking test client

/// A plain blocking socket with send and receive timeouts, to talk to the server byte by byte
/// and see exactly when it closes. Tests run one at a time, so blocking here is bounded.
final class RawClient {
    private(set) var fd: Int32

    init(host: String = "127.0.0.1", port: UInt16, receiveBuffer: Int32? = nil, timeoutSeconds: Int = 5) throws {
        var v4 = in_addr()
        var v6 = in6_addr()
        let family: Int32
        if inet_pton(AF_INET, host, &v4) == 1 {
            family = AF_INET
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            family = AF_INET6
        } else {
            throw TestFailure("not a numeric host: \(host)")
        }
        fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, socklen_t(MemoryLayout<Int32>.size))
        }
        let status: Int32
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = v4
            status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = v6
            status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        if status != 0 {
            let code = errno
            Glibc.close(fd)
            fd = -1
            throw TestFailure("connect to \(host):\(port): \(String(cString: strerror(code)))")
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw TestFailure("send: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
    }

    func sendFrame(_ payload: [UInt8]) throws {
        try send(bigEndian(UInt32(payload.count)) + payload)
    }

    /// Exactly `count` bytes; nil if the peer closed first. Throws on timeout.
    func read(_ count: Int) throws -> [UInt8]? {
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = result.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            if got == 0 { return nil }
            if got < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { return nil }
                throw TestFailure("recv after \(filled) of \(count) bytes: \(String(cString: strerror(errno)))")
            }
            filled += got
        }
        return result
    }

    func readFrame() throws -> [UInt8]? {
        guard let header = try read(4) else { return nil }
        let size = Int(uint32(header))
        return try read(size)
    }

    /// True when the peer closes (EOF or reset) within `timeout`; data read meanwhile is
    /// dropped.
    func closedByPeer(within timeout: Duration = .seconds(3)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var scratch = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 50)
            if ready <= 0 { continue }
            let got = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
            if got == 0 || (got < 0 && errno == ECONNRESET) { return true }
        }
        return false
    }

    /// True if nothing arrives (and the connection stays open) for `duration`.
    func staysQuiet(for duration: Duration) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        return poll(&poller, 1, milliseconds) == 0
    }
}
