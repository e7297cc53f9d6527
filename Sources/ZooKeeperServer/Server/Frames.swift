import Network
import Wire
import ZooKeeperProtocol

/// Building the frames the server sends: a size prefix, then a `ReplyHeader` and, when the
/// result is OK, the response record (NOTES.md §2).
enum Frames {
    static func reply(xid: Int32, zxid: Int64, error: ErrorCode = .ok, body: ((inout ByteWriter) -> Void)? = nil) -> OutgoingFrame {
        var writer = ByteWriter(capacity: 96)
        let size = writer.reserveInt32()
        ReplyHeader(xid: xid, zxid: zxid, error: error).encode(into: &writer)
        if error == .ok, let body { body(&writer) }
        writer.patchInt32(Int32(truncatingIfNeeded: writer.bytes.count - 4), at: size)
        return OutgoingFrame(writer: writer)
    }

    static func reply(xid: Int32, zxid: Int64, record: some JuteRecord) -> OutgoingFrame {
        reply(xid: xid, zxid: zxid) { record.encode(into: &$0) }
    }

    /// A watch notification. ZooKeeper 3.8 sends zxid -1 in its header.
    static func notification(_ type: EventType, path: String) -> OutgoingFrame {
        reply(xid: SpecialXid.notification, zxid: -1) { WatcherEvent(type: type, path: path).encode(into: &$0) }
    }

    /// The handshake answer: a `ConnectResponse` with no header.
    static func connectResponse(_ response: ConnectResponse) -> OutgoingFrame {
        OutgoingFrame(payload: response.encoded())
    }
}
