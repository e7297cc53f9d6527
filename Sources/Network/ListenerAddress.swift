/// One address the server listens on, named like a Kafka listener (`PLAINTEXT`, `INTERNAL`).
///
/// `host` may be empty (every interface, IPv4 and IPv6), a numeric IPv4 or IPv6 address
/// (`0.0.0.0`, `::`, `127.0.0.1`) or a host name resolved with getaddrinfo; the first resolved
/// address that binds is used, as Kafka does. Port 0 lets the kernel pick a free port; the
/// server reports the bound port after `start()`.
public struct ListenerAddress: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var host: String
    public var port: UInt16

    public init(name: String = "PLAINTEXT", host: String, port: UInt16) {
        self.name = name
        self.host = host
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "\(name)://[\(host)]:\(port)" : "\(name)://\(host):\(port)"
    }
}

/// A listener after `start()`: the address it is bound to, with the real port.
public struct BoundListener: Sendable, Hashable {
    public var name: String
    /// Numeric address actually bound (`0.0.0.0`, `::`, `127.0.0.1`...).
    public var host: String
    public var port: UInt16
}
