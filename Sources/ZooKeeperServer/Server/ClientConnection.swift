import Network
import ZooKeeperProtocol

/// What the request processor knows of one client connection. Owned by the processor's queue.
final class ClientConnection {
    let info: ConnectionInfo
    /// nil for a request a follower forwarded: its client is connected elsewhere.
    let channel: ConnectionChannel?
    let stats = ConnectionStats()
    /// 0 until the handshake binds a session.
    var sessionId: Int64 = 0
    var timeout: Int32 = 0
    /// Who the client is for ACLs: `ip:<address>` from the start, plus the ids `addauth` added.
    var ids: [Id]
    /// A `close` is on its way; later requests are dropped.
    var closing = false

    init(info: ConnectionInfo, channel: ConnectionChannel?) {
        self.info = info
        self.channel = channel
        self.ids = [Id(scheme: "ip", id: info.remoteHost)]
    }
}

/// What the frame handler hands the processor, decoded on the network thread.
enum Incoming: Sendable {
    /// The first frame of a connection.
    case connect(ConnectRequest)
    case request(RequestHeader, ZooKeeperRequest)
    /// An op code clients cannot use: answered with Unimplemented, then the connection closes.
    case unknownOp(RequestHeader)
    /// A SASL token (op 102). No SASL is configured here, which ZooKeeper answers with OK and
    /// no token (and zxid 0); the client's SASL then fails on its side.
    case sasl(RequestHeader)
    /// A readable header with an unreadable record: MarshallingError.
    case malformed(RequestHeader, String)
    /// Not even a header (or handshake): the connection closes.
    case garbage(String)
}
