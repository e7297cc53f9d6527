import Wire

/// What travels on a peer connection: a `hello` first in each direction (who is speaking),
/// then protocol messages.
enum QuorumFrame: Sendable, Equatable {
    case hello(from: PeerID)
    case message(QuorumMessage)
}

/// The peer protocol's bytes (ours, not Apache ZooKeeper's). Each frame is
///
///     int32 length N | uint8 version | uint8 type | body (N - 2 bytes)
///
/// big-endian, with zxids as int64, epochs as uint32, byte strings and lists as an int32
/// count then the items, an entry as zxid | int32 length | payload. `version` is 2 (1 lacked the
/// leader's durable point in `propose`); a node refuses a frame of a version it does not know,
/// so members of different versions never misread each other, and a later version could be
/// introduced by having `hello` advertise it first. The frames are the same on both ports; which port a
/// message belongs on is `QuorumMessage.channel`, and a listener refuses the other port's
/// messages (`channel(ofBody:)`). Every length is checked against what remains and
/// against `maxFrame` before anything is allocated; decoding never traps.
enum QuorumCodec {
    static let version: UInt8 = 2
    /// Large enough for a SNAP of a big tree in one frame (a later version may stream it).
    static let maxFrame = 512 << 20

    private enum Kind: UInt8 {
        case hello = 0, voteRequest, voteReply, followerInfo, sync, propose, ack, syncRequest, syncReply, forward, preVoteRequest, preVoteReply
    }

    // MARK: Encoding

    /// The whole frame, length prefix included.
    static func encode(_ frame: QuorumFrame) -> [UInt8] {
        var writer = ByteWriter()
        let lengthAt = writer.reserveInt32()
        writer.writeUInt8(version)
        switch frame {
        case .hello(let from):
            writer.writeUInt8(Kind.hello.rawValue)
            writer.writeInt64(from)
        case .message(let message):
            encode(message, into: &writer)
        }
        writer.patchInt32(Int32(truncatingIfNeeded: writer.countSince(lengthAt) - 4), at: lengthAt)
        return writer.bytes
    }

    private static func encode(_ message: QuorumMessage, into writer: inout ByteWriter) {
        switch message {
        case .preVoteRequest(let lastEpoch, let lastZxid):
            writer.writeUInt8(Kind.preVoteRequest.rawValue)
            writer.writeUInt32(lastEpoch)
            writer.writeInt64(lastZxid.value)
        case .preVoteReply(let epoch, let granted):
            writer.writeUInt8(Kind.preVoteReply.rawValue)
            writer.writeUInt32(epoch)
            writer.writeBool(granted)
        case .voteRequest(let epoch, let lastEpoch, let lastZxid):
            writer.writeUInt8(Kind.voteRequest.rawValue)
            writer.writeUInt32(epoch)
            writer.writeUInt32(lastEpoch)
            writer.writeInt64(lastZxid.value)
        case .voteReply(let epoch, let granted):
            writer.writeUInt8(Kind.voteReply.rawValue)
            writer.writeUInt32(epoch)
            writer.writeBool(granted)
        case .followerInfo(let epoch, let lastZxid):
            writer.writeUInt8(Kind.followerInfo.rawValue)
            writer.writeUInt32(epoch)
            writer.writeInt64(lastZxid.value)
        case .sync(let epoch, let plan):
            writer.writeUInt8(Kind.sync.rawValue)
            writer.writeUInt32(epoch)
            writer.writeUInt8((plan.truncateTo == nil ? 0 : 1) | (plan.snapshot == nil ? 0 : 2))
            if let cut = plan.truncateTo { writer.writeInt64(cut.value) }
            if let snapshot = plan.snapshot {
                writer.writeInt64(snapshot.zxid.value)
                writeBytes(snapshot.data, into: &writer)
            }
            writer.writeInt64(plan.prevZxid.value)
            writer.writeInt64(plan.commitZxid.value)
            writeEntries(plan.entries, into: &writer)
        case .propose(let epoch, let prevZxid, let entries, let commitZxid, let durableZxid):
            writer.writeUInt8(Kind.propose.rawValue)
            writer.writeUInt32(epoch)
            writer.writeInt64(prevZxid.value)
            writer.writeInt64(commitZxid.value)
            writer.writeInt64(durableZxid.value)
            writeEntries(entries, into: &writer)
        case .ack(let epoch, let zxid):
            writer.writeUInt8(Kind.ack.rawValue)
            writer.writeUInt32(epoch)
            writer.writeInt64(zxid.value)
        case .syncRequest(let epoch, let token):
            writer.writeUInt8(Kind.syncRequest.rawValue)
            writer.writeUInt32(epoch)
            writer.writeUInt64(token)
        case .syncReply(let epoch, let token, let zxid):
            writer.writeUInt8(Kind.syncReply.rawValue)
            writer.writeUInt32(epoch)
            writer.writeUInt64(token)
            writer.writeInt64(zxid.value)
        case .forward(let payload):
            writer.writeUInt8(Kind.forward.rawValue)
            writeBytes(payload, into: &writer)
        }
    }

    private static func writeBytes(_ bytes: [UInt8], into writer: inout ByteWriter) {
        writer.writeInt32(Int32(truncatingIfNeeded: bytes.count))
        writer.writeBytes(bytes)
    }

    private static func writeEntries(_ entries: [QuorumEntry], into writer: inout ByteWriter) {
        writer.writeInt32(Int32(truncatingIfNeeded: entries.count))
        for entry in entries {
            writer.writeInt64(entry.zxid.value)
            writeBytes(entry.payload, into: &writer)
        }
    }

    // MARK: Decoding

    /// The port a frame body's message belongs on, from its type byte alone (the transport
    /// routes and checks frames without decoding them); nil for `hello` or an unknown type.
    static func channel(ofBody body: ArraySlice<UInt8>) -> QuorumChannel? {
        guard body.count >= 2, let kind = Kind(rawValue: body[body.startIndex + 1]) else { return nil }
        switch kind {
        case .hello: return nil
        case .preVoteRequest, .preVoteReply, .voteRequest, .voteReply: return .election
        case .followerInfo, .sync, .propose, .ack, .syncRequest, .syncReply, .forward: return .quorum
        }
    }

    /// The body length a 4-byte length prefix announces, refused above `maxFrame` or below
    /// the version and type bytes, before anything is read or allocated.
    static func bodyLength(prefix: UInt32) throws(WireError) -> Int {
        let length = Int(Int32(bitPattern: prefix))
        if length < 2 { throw .invalidValue(field: "quorum frame length", detail: "\(length)") }
        if length > maxFrame { throw .lengthTooLarge(length, limit: maxFrame) }
        return length
    }

    /// One frame's body (after the length prefix), which it must fill exactly.
    static func decode(body: ArraySlice<UInt8>) throws(WireError) -> QuorumFrame {
        var reader = ByteReader(body)
        let frameVersion = try reader.readUInt8()
        if frameVersion != version { throw .unsupportedVersion(message: "quorum frame", version: Int16(frameVersion)) }
        let code = try reader.readUInt8()
        guard let kind = Kind(rawValue: code) else { throw .invalidValue(field: "quorum frame type", detail: "\(code)") }
        let frame: QuorumFrame
        switch kind {
        case .hello:
            frame = .hello(from: try reader.readInt64())
        case .preVoteRequest:
            frame = .message(.preVoteRequest(lastEpoch: try reader.readUInt32(), lastZxid: try readZxid(&reader)))
        case .preVoteReply:
            frame = .message(.preVoteReply(epoch: try reader.readUInt32(), granted: try reader.readBool()))
        case .voteRequest:
            frame = .message(.voteRequest(epoch: try reader.readUInt32(), lastEpoch: try reader.readUInt32(), lastZxid: try readZxid(&reader)))
        case .voteReply:
            frame = .message(.voteReply(epoch: try reader.readUInt32(), granted: try reader.readBool()))
        case .followerInfo:
            frame = .message(.followerInfo(epoch: try reader.readUInt32(), lastZxid: try readZxid(&reader)))
        case .sync:
            let epoch = try reader.readUInt32()
            let flags = try reader.readUInt8()
            if flags & ~3 != 0 { throw .invalidValue(field: "sync flags", detail: "\(flags)") }
            let cut = flags & 1 != 0 ? try readZxid(&reader) : nil
            let snapshot = flags & 2 != 0 ? QuorumSnapshot(zxid: try readZxid(&reader), data: try readFilledBytes(&reader, field: "snapshot")) : nil
            let prev = try readZxid(&reader)
            let commit = try readZxid(&reader)
            let plan = SyncPlan(truncateTo: cut, snapshot: snapshot, prevZxid: prev, entries: try readEntries(&reader), commitZxid: commit)
            frame = .message(.sync(epoch: epoch, plan))
        case .propose:
            let epoch = try reader.readUInt32()
            let prev = try readZxid(&reader)
            let commit = try readZxid(&reader)
            let durable = try readZxid(&reader)
            frame = .message(.propose(epoch: epoch, prevZxid: prev, entries: try readEntries(&reader), commitZxid: commit, durableZxid: durable))
        case .ack:
            frame = .message(.ack(epoch: try reader.readUInt32(), zxid: try readZxid(&reader)))
        case .syncRequest:
            frame = .message(.syncRequest(epoch: try reader.readUInt32(), token: try reader.readUInt64()))
        case .syncReply:
            frame = .message(.syncReply(epoch: try reader.readUInt32(), token: try reader.readUInt64(), zxid: try readZxid(&reader)))
        case .forward:
            frame = .message(.forward(payload: try readBytes(&reader)))
        }
        if !reader.isAtEnd { throw .trailingBytes(reader.remaining) }
        return frame
    }

    private static func readZxid(_ reader: inout ByteReader) throws(WireError) -> Zxid {
        let value = try reader.readInt64()
        if value < 0 { throw .invalidValue(field: "zxid", detail: "\(value)") }
        return Zxid(value: value)
    }

    private static func readBytes(_ reader: inout ByteReader) throws(WireError) -> [UInt8] {
        let count = Int(try reader.readInt32())
        if count < 0 { throw .negativeLength(count) }
        return Array(try reader.readSlice(count))
    }

    /// Bytes that are never empty on the wire: in memory, an entry's empty payload or a
    /// snapshot's empty data means "only in the store's files" (`QuorumLog.trim`,
    /// `releaseSnapshotBytes`), and a sender fills them before sending; a peer that sends
    /// them empty is broken, and taking them would leave this member a log it cannot apply.
    private static func readFilledBytes(_ reader: inout ByteReader, field: String) throws(WireError) -> [UInt8] {
        let bytes = try readBytes(&reader)
        if bytes.isEmpty { throw .invalidValue(field: field, detail: "empty") }
        return bytes
    }

    private static func readEntries(_ reader: inout ByteReader) throws(WireError) -> [QuorumEntry] {
        let count = Int(try reader.readInt32())
        if count < 0 { throw .negativeLength(count) }
        // Each entry takes at least 12 bytes: refuse a count the frame cannot hold before reserving.
        if count > reader.remaining / 12 { throw .lengthTooLarge(count, limit: reader.remaining / 12) }
        var entries: [QuorumEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            entries.append(QuorumEntry(zxid: try readZxid(&reader), payload: try readFilledBytes(&reader, field: "entry payload")))
        }
        return entries
    }
}
