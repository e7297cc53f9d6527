import Synchronization

/// Counters behind srvr, stat and mntr (ZooKeeper's `ServerStats`): packets in and out and
/// request latency. Updated from the request processor and the commit queue, hence a lock.
final class ServerStats: Sendable {
    struct Values: Sendable {
        var packetsReceived = 0
        var packetsSent = 0
        var minLatency: Int64 = .max
        var maxLatency: Int64 = 0
        var totalLatency: Int64 = 0
        var latencyCount: Int64 = 0
        var authFailures = 0

        /// "0/0.0/0" when nothing was measured, as ZooKeeper prints it.
        var latencyText: String {
            "\(latencyCount == 0 ? 0 : minLatency)/\(averageText)/\(maxLatency)"
        }

        /// The mean as ZooKeeper prints it: rounded to four decimals, then Java's
        /// `Double.toString` ("0.0", "5.75", "1.3333").
        var averageText: String {
            guard latencyCount > 0 else { return "0.0" }
            let scaled = (totalLatency * 20_000 + latencyCount) / (2 * latencyCount)
            var fraction = String(scaled % 10_000)
            fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
            while fraction.count > 1 && fraction.hasSuffix("0") { fraction.removeLast() }
            return "\(scaled / 10_000).\(fraction)"
        }
    }

    private let values = Mutex(Values())
    let started = ContinuousClock.now

    var snapshot: Values { values.withLock { $0 } }

    func received(_ count: Int = 1) { values.withLock { $0.packetsReceived += count } }
    func sent(_ count: Int = 1) { values.withLock { $0.packetsSent += count } }
    func authFailed() { values.withLock { $0.authFailures += 1 } }

    func recordReply(latencyMs: Int64) {
        values.withLock {
            $0.packetsSent += 1
            $0.minLatency = min($0.minLatency, latencyMs)
            $0.maxLatency = max($0.maxLatency, latencyMs)
            $0.totalLatency += latencyMs
            $0.latencyCount += 1
        }
    }

    func reset() {
        values.withLock { $0 = Values() }
    }
}

/// One connection's counters for cons and stat.
final class ConnectionStats: Sendable {
    struct Values: Sendable {
        var received = 0
        var sent = 0
        var lastOp = "NA"
        var lastCxid: Int32 = -1
        var lastZxid: Int64 = -1
        var lastLatency: Int64 = 0
        var minLatency: Int64 = .max
        var maxLatency: Int64 = 0
        var totalLatency: Int64 = 0
        var count: Int64 = 0
        /// Monotonic ms of the last reply (cons's `lresp`).
        var lastResponse: Int64 = 0
    }

    private let values = Mutex(Values())
    let established = WallClock.milliseconds()

    var snapshot: Values { values.withLock { $0 } }

    func received() { values.withLock { $0.received += 1 } }
    func sent() { values.withLock { $0.sent += 1 } }
    /// `crst`: counters and latencies start again.
    func reset() { values.withLock { $0 = Values() } }

    func recordReply(latencyMs: Int64, op: String, cxid: Int32, zxid: Int64) {
        values.withLock {
            $0.sent += 1
            $0.lastOp = op
            $0.lastCxid = cxid
            $0.lastZxid = zxid
            $0.lastLatency = latencyMs
            $0.lastResponse = MonotonicClock.milliseconds()
            $0.minLatency = min($0.minLatency, latencyMs)
            $0.maxLatency = max($0.maxLatency, latencyMs)
            $0.totalLatency += latencyMs
            $0.count += 1
        }
    }
}
