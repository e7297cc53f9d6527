import Synchronization

/// Counts open connections overall and per client address, and refuses those over the caps
/// (`max.connections`, `max.connections.per.ip` and its overrides).
///
/// The acceptor admits; the network thread that closes a connection releases. One short
/// critical section each.
final class ConnectionQuotas: Sendable {
    private struct Counts {
        var total = 0
        var perHost: [String: Int] = [:]
    }

    private let counts = Mutex(Counts())
    private let maxConnections: Int
    private let maxPerHost: Int
    private let overrides: [String: Int]

    init(maxConnections: Int, maxPerHost: Int, overrides: [String: Int]) {
        self.maxConnections = maxConnections
        self.maxPerHost = maxPerHost
        self.overrides = overrides
    }

    /// Counts the connection in, or says why it is refused.
    func admit(host: String) -> String? {
        let limit = overrides[host] ?? maxPerHost
        return counts.withLock { counts in
            if counts.total >= maxConnections {
                return "the broker has \(counts.total) connections, max.connections is \(maxConnections)"
            }
            let current = counts.perHost[host, default: 0]
            if current >= limit {
                return "\(host) has \(current) connections, max.connections.per.ip is \(limit)"
            }
            counts.total += 1
            counts.perHost[host] = current + 1
            return nil
        }
    }

    func release(host: String) {
        counts.withLock { counts in
            counts.total -= 1
            let remaining = counts.perHost[host, default: 1] - 1
            counts.perHost[host] = remaining > 0 ? remaining : nil
        }
    }
}
