import Testing
import Wire

@testable import ZooKeeperServer

@Suite struct QuorumCodecTests {
    static let entries = [
        QuorumEntry(zxid: Zxid(epoch: 2, counter: 1), payload: [1, 2, 3]),
        QuorumEntry(zxid: Zxid(epoch: 2, counter: 2), payload: [4]),
    ]

    static let frames: [QuorumFrame] = [
        .hello(from: 3),
        .message(.voteRequest(epoch: 7, lastEpoch: 6, lastZxid: Zxid(epoch: 6, counter: 0xFFFF_FFFF))),
        .message(.voteReply(epoch: 7, granted: true)),
        .message(.preVoteRequest(lastEpoch: 6, lastZxid: Zxid(epoch: 6, counter: 3))),
        .message(.preVoteReply(epoch: 9, granted: false)),
        .message(.followerInfo(epoch: 7, lastZxid: Zxid(epoch: 5, counter: 9))),
        .message(.sync(epoch: 7, SyncPlan(truncateTo: nil, snapshot: nil, prevZxid: .zero, entries: [], commitZxid: .zero))),
        .message(
            .sync(
                epoch: 7,
                SyncPlan(
                    truncateTo: Zxid(epoch: 1, counter: 4), snapshot: QuorumSnapshot(zxid: Zxid(epoch: 1, counter: 2), data: [9, 9]),
                    prevZxid: Zxid(epoch: 1, counter: 4), entries: entries, commitZxid: Zxid(epoch: 2, counter: 1)))),
        .message(
            .propose(
                epoch: 7, prevZxid: Zxid(epoch: 1, counter: 4), entries: entries, commitZxid: Zxid(epoch: 1, counter: 3),
                durableZxid: Zxid(epoch: 2, counter: 1))),
        .message(.ack(epoch: 7, zxid: Zxid(epoch: 2, counter: 2))),
        .message(.syncRequest(epoch: 7, token: UInt64.max)),
        .message(.syncReply(epoch: 7, token: 1, zxid: Zxid(epoch: 2, counter: 2))),
        .message(.forward(payload: [0, 255])),
    ]

    static func body(_ frame: [UInt8]) throws -> ArraySlice<UInt8> {
        var reader = ByteReader(frame)
        let length = try QuorumCodec.bodyLength(prefix: reader.readUInt32())
        #expect(length == frame.count - 4)
        return frame[4...]
    }

    @Test(arguments: frames)
    func everyFrameRoundTrips(frame: QuorumFrame) throws {
        let bytes = QuorumCodec.encode(frame)
        #expect(try QuorumCodec.decode(body: Self.body(bytes)) == frame)
        // Every shorter body is refused with an error, never a trap or a wrong frame.
        let body = try Self.body(bytes)
        for cut in 0..<body.count {
            #expect(throws: WireError.self) { try QuorumCodec.decode(body: body.prefix(cut)) }
        }
        #expect(throws: WireError.trailingBytes(1)) { try QuorumCodec.decode(body: body + [0]) }
    }

    @Test func hostileFramesAreRefusedBeforeAllocating() {
        #expect(throws: WireError.lengthTooLarge(Int(Int32.max), limit: QuorumCodec.maxFrame)) {
            try QuorumCodec.bodyLength(prefix: UInt32(Int32.max))
        }
        #expect(throws: WireError.self) { try QuorumCodec.bodyLength(prefix: 0xFFFF_FFFF) }
        let version = QuorumCodec.version
        // Version 1 (before the leader's durable point) and anything newer are refused.
        for other: UInt8 in [1, version + 1] {
            #expect(throws: WireError.unsupportedVersion(message: "quorum frame", version: Int16(other))) {
                try QuorumCodec.decode(body: [other, 0, 0, 0, 0, 0, 0, 0, 0, 3])
            }
        }
        #expect(throws: WireError.invalidValue(field: "quorum frame type", detail: "99")) { try QuorumCodec.decode(body: [version, 99]) }
        // A propose claiming a billion entries in a 38-byte frame.
        var writer = ByteWriter()
        for byte: UInt8 in [version, 5] { writer.writeUInt8(byte) }
        writer.writeUInt32(1)
        writer.writeInt64(0)
        writer.writeInt64(0)
        writer.writeInt64(0)
        writer.writeInt32(1_000_000_000)
        #expect(throws: WireError.lengthTooLarge(1_000_000_000, limit: 0)) { try QuorumCodec.decode(body: writer.bytes[...]) }
        // A negative zxid is not a zxid.
        var negative = ByteWriter()
        for byte: UInt8 in [version, 6] { negative.writeUInt8(byte) }
        negative.writeUInt32(1)
        negative.writeInt64(-1)
        #expect(throws: WireError.invalidValue(field: "zxid", detail: "-1")) { try QuorumCodec.decode(body: negative.bytes[...]) }
    }

    /// Empty means "in the store's files" in memory, never on the wire: a proposal or sync
    /// carrying an empty payload, or a SNAP without bytes, is refused whole.
    @Test func emptyPayloadsAndSnapshotsAreRefused() throws {
        let empty = [QuorumEntry(zxid: Zxid(epoch: 2, counter: 1), payload: [1]), QuorumEntry(zxid: Zxid(epoch: 2, counter: 2), payload: [])]
        let propose = QuorumCodec.encode(.message(.propose(epoch: 7, prevZxid: .zero, entries: empty, commitZxid: .zero)))
        #expect(throws: WireError.invalidValue(field: "entry payload", detail: "empty")) { try QuorumCodec.decode(body: Self.body(propose)) }
        let diff = SyncPlan(truncateTo: nil, snapshot: nil, prevZxid: .zero, entries: empty, commitZxid: .zero)
        let sync = QuorumCodec.encode(.message(.sync(epoch: 7, diff)))
        #expect(throws: WireError.invalidValue(field: "entry payload", detail: "empty")) { try QuorumCodec.decode(body: Self.body(sync)) }
        let snap = SyncPlan(truncateTo: nil, snapshot: QuorumSnapshot(zxid: Zxid(epoch: 1, counter: 9), data: []), prevZxid: Zxid(epoch: 1, counter: 9), entries: [], commitZxid: .zero)
        let snapFrame = QuorumCodec.encode(.message(.sync(epoch: 7, snap)))
        #expect(throws: WireError.invalidValue(field: "snapshot", detail: "empty")) { try QuorumCodec.decode(body: Self.body(snapFrame)) }
    }
}
