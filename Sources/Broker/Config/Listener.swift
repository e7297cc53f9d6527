/// One entry of `listeners` / `advertised.listeners`: `NAME://host:port`. An empty host means
/// every interface (as in Kafka's default `PLAINTEXT://:9092`); `[::1]` style IPv6 hosts work.
public struct Listener: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var host: String
    public var port: UInt16

    public init(name: String, host: String, port: UInt16) {
        self.name = name
        self.host = host
        self.port = port
    }

    public init(parsing text: String, key: String) throws(ConfigError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let schemeEnd = trimmed.range(of: "://") else {
            throw .invalidValue(key: key, value: text, reason: "a listener is written NAME://host:port")
        }
        let name = String(trimmed[..<schemeEnd.lowerBound]).uppercased()
        let rest = trimmed[schemeEnd.upperBound...]
        guard !name.isEmpty, let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]) else {
            throw .invalidValue(key: key, value: text, reason: "a listener is written NAME://host:port with a port from 0 to 65535")
        }
        var host = String(rest[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(name: name, host: host, port: port)
    }

    public static func parseList(_ entries: [String], key: String) throws(ConfigError) -> [Listener] {
        var listeners: [Listener] = []
        for entry in entries {
            let listener = try Listener(parsing: entry, key: key)
            if listeners.contains(where: { $0.name == listener.name }) {
                throw .invalidValue(key: key, value: entry, reason: "listener name \(listener.name) appears twice")
            }
            listeners.append(listener)
        }
        return listeners
    }

    public var description: String {
        host.contains(":") ? "\(name)://[\(host)]:\(port)" : "\(name)://\(host):\(port)"
    }
}

import Foundation
