import Wire
import ZooKeeperProtocol

/// What a follower's request processor sends its leader's (the opaque payload of the quorum's
/// `forward` message; ZooKeeper's `REQUEST` and `PING` packets from a follower). The leader
/// decides each request against its own state; the follower learns the outcome when the
/// transaction commits and comes back to it in order.
enum ForwardedRequest: Sendable, Equatable {
    /// A client asked this follower for a new session (the follower picked the id: ids carry
    /// the server id in their top byte, so they never collide).
    case createSession(session: Int64, timeout: Int32)
    /// A client's write (`closeSession` included): its header and record as the client sent
    /// them, with who the client is for the ACL checks.
    case request(session: Int64, ids: [Id], frame: [UInt8])
    /// Sessions whose clients were heard from since the last report, with their timeouts:
    /// only the leader expires sessions, so it must know they are alive.
    case touches([Touch])

    struct Touch: Sendable, Equatable {
        var session: Int64
        var timeout: Int32
    }

    private enum Kind: UInt8 {
        case createSession = 1
        case request = 2
        case touches = 3
    }

    func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        switch self {
        case .createSession(let session, let timeout):
            writer.writeUInt8(Kind.createSession.rawValue)
            writer.writeInt64(session)
            writer.writeInt32(timeout)
        case .request(let session, let ids, let frame):
            writer.writeUInt8(Kind.request.rawValue)
            writer.writeInt64(session)
            writer.writeInt32(Int32(clamping: ids.count))
            for id in ids { id.encode(into: &writer) }
            writer.writeJuteBuffer(frame)
        case .touches(let touches):
            writer.writeUInt8(Kind.touches.rawValue)
            writer.writeInt32(Int32(clamping: touches.count))
            for touch in touches {
                writer.writeInt64(touch.session)
                writer.writeInt32(touch.timeout)
            }
        }
        return writer.bytes
    }

    /// Counts are checked against the bytes left before anything is allocated.
    static func decode(_ bytes: [UInt8]) throws(WireError) -> ForwardedRequest {
        var reader = ByteReader(bytes)
        let kind = try reader.readUInt8()
        switch Kind(rawValue: kind) {
        case .createSession:
            return .createSession(session: try reader.readInt64(), timeout: try reader.readInt32())
        case .request:
            let session = try reader.readInt64()
            let ids = try reader.readJuteVector { reader throws(WireError) in try Id(from: &reader) } ?? []
            let frame = try reader.readJuteBuffer()
            return .request(session: session, ids: ids, frame: frame)
        case .touches:
            let touches = try reader.readJuteVector { reader throws(WireError) in
                Touch(session: try reader.readInt64(), timeout: try reader.readInt32())
            }
            return .touches(touches ?? [])
        case nil:
            throw WireError.invalidValue(field: "ForwardedRequest.kind", detail: "unknown kind \(kind)")
        }
    }
}
