/// One `server.N=host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]`
/// line of zoo.cfg: a member of the ensemble.
public struct QuorumServer: Sendable, Equatable {
    public var id: Int64
    public var host: String
    public var quorumPort: Int
    public var electionPort: Int
    public var isObserver: Bool
    /// From the optional `;[host:]port` part (the dynamic-config form the official image uses).
    public var clientHost: String?
    public var clientPort: Int?

    /// Parses the value of a `server.<id>` key.
    static func parse(id: Int64, _ value: String) throws(ZooKeeperConfigError) -> QuorumServer {
        let halves = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).map {
            $0.trimming(" \t")
        }
        let parts = splitHostPorts(halves[0])
        guard parts.count == 3 || parts.count == 4 else {
            throw .invalid(key: "server.\(id)", value: value, reason: "expected host:quorumPort:electionPort[:role]")
        }
        guard let quorum = port(parts[1]), let election = port(parts[2]) else {
            throw .invalid(key: "server.\(id)", value: value, reason: "ports must be numbers from 1 to 65535")
        }
        var observer = false
        if parts.count == 4 {
            switch parts[3].lowercased() {
            case "participant": observer = false
            case "observer": observer = true
            default: throw .invalid(key: "server.\(id)", value: value, reason: "role must be participant or observer")
            }
        }
        var server = QuorumServer(
            id: id, host: parts[0], quorumPort: quorum, electionPort: election, isObserver: observer, clientHost: nil, clientPort: nil)
        if halves.count == 2 {
            let client = splitHostPorts(halves[1])
            switch client.count {
            case 1: server.clientPort = port(client[0])
            case 2:
                server.clientHost = client[0]
                server.clientPort = port(client[1])
            default: break
            }
            if server.clientPort == nil {
                throw .invalid(key: "server.\(id)", value: value, reason: "client part must be [host:]port")
            }
        }
        return server
    }

    /// "host:1:2" → ["host", "1", "2"], keeping a bracketed IPv6 host whole.
    private static func splitHostPorts(_ text: String) -> [String] {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            return [host] + rest.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
        }
        return text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    }

    private static func port(_ text: String) -> Int? {
        guard let value = Int(text), value > 0, value <= 65535 else { return nil }
        return value
    }
}

extension StringProtocol {
    /// Without the given characters at either end. Compared scalar by scalar: "\r\n" is one
    /// `Character`, so `" \t\r\n".contains("\n")` would be false and a newline would stay.
    func trimming(_ set: String) -> String {
        let scalars = Set(set.unicodeScalars)
        func trimmed(_ character: Character) -> Bool { character.unicodeScalars.allSatisfy { scalars.contains($0) } }
        var text = self[...]
        while let first = text.first, trimmed(first) { text = text.dropFirst() }
        while let last = text.last, trimmed(last) { text = text.dropLast() }
        return String(text)
    }
}
