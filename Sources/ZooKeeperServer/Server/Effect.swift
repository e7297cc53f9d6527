import Network

/// Something a request causes outside the server's state — a reply, a watch notification to
/// some connection, closing a connection — held back until the transactions processed before
/// it are durable, then run in order. Holding reads and notifications back too (not only
/// write replies) means no client ever sees state that a crash could still take away.
enum Effect: Sendable {
    case reply(@Sendable (Reply) -> Void, Reply, ReplyAccounting?)
    case push(ConnectionChannel, OutgoingFrame)
    case close(ConnectionChannel, reason: String)
    case run(@Sendable () -> Void)

    func perform() {
        switch self {
        case .reply(let reply, let value, let accounting):
            accounting?.record()
            reply(value)
        case .push(let channel, let frame):
            channel.push(frame)
        case .close(let channel, let reason):
            channel.close(reason: reason)
        case .run(let body):
            body()
        }
    }
}

/// Latency bookkeeping done when a reply is released (ZooKeeper measures up to the response).
struct ReplyAccounting: Sendable {
    let stats: ServerStats
    let connection: ConnectionStats?
    let received: ContinuousClock.Instant
    let opName: String
    let cxid: Int32
    let zxid: Int64

    func record() {
        let elapsed = ContinuousClock.now - received
        let milliseconds = Int64(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        stats.recordReply(latencyMs: milliseconds)
        connection?.recordReply(latencyMs: milliseconds, op: opName, cxid: cxid, zxid: zxid)
    }
}
