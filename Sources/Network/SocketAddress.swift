import Glibc

/// An IPv4 or IPv6 socket address, as getaddrinfo, accept and getsockname produce them.
struct SocketAddress: Sendable {
    private var storage = sockaddr_storage()
    private(set) var length: socklen_t = 0

    var family: Int32 { Int32(storage.ss_family) }

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    init?(_ address: UnsafePointer<sockaddr>, length: socklen_t) {
        guard length > 0, Int(length) <= MemoryLayout<sockaddr_storage>.size else { return nil }
        withUnsafeMutableBytes(of: &storage) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(length)))
        }
        self.length = length
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    /// Numeric host; an IPv4-mapped IPv6 address (an IPv4 client of a dual-stack listener) is
    /// shown as plain IPv4, so per-IP limits count one client once.
    var host: String {
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = withSockAddr { address, length in
            getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
        }
        guard status == 0 else { return "?" }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let mapped = "::ffff:"
        if text.hasPrefix(mapped), text.contains(".") { return String(text.dropFirst(mapped.count)) }
        return text
    }

    /// `host:port`, with brackets around an IPv6 host.
    var description: String {
        family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    var port: UInt16 {
        // sin_port and sin6_port both sit right after the 2-byte family.
        guard family == AF_INET || family == AF_INET6 else { return 0 }
        return withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    /// The local address a socket is bound to.
    static func local(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return nil }
        return SocketAddress(storage: storage, length: length)
    }

    /// Resolves `host` for `port`. An empty host means every local interface (for listening).
    /// With `numericOnly`, names are not looked up (no DNS: never blocks); nil if not numeric.
    static func resolve(host: String, port: UInt16, passive: Bool, numericOnly: Bool = false) throws(NetworkError) -> [SocketAddress]? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        hints.ai_flags = (passive ? AI_PASSIVE : 0) | AI_NUMERICSERV | (numericOnly ? AI_NUMERICHOST : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = host.isEmpty
            ? getaddrinfo(nil, String(port), &hints, &list)
            : getaddrinfo(host, String(port), &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        guard status == 0 else {
            if numericOnly && status == EAI_NONAME { return nil }
            let reason = gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            throw .unresolvable(host: host, reason: reason)
        }
        var addresses: [SocketAddress] = []
        var cursor = list
        while let entry = cursor {
            let info = entry.pointee
            if let address = info.ai_addr, info.ai_family == AF_INET || info.ai_family == AF_INET6,
               let resolved = SocketAddress(address, length: info.ai_addrlen) {
                addresses.append(resolved)
            }
            cursor = info.ai_next
        }
        if addresses.isEmpty { throw .unresolvable(host: host, reason: "no IPv4 or IPv6 address") }
        return addresses
    }
}
