import LogStore
import Wire

/// The records of `__consumer_offsets`, byte for byte in Kafka's formats, so a Kafka tool
/// reading the topic (or a Kafka broker taking over the log) understands them.
///
/// Keys start with an int16 version that says what the record is:
///
/// | key version | record | key fields | value |
/// |---|---|---|---|
/// | 0, 1 | offset commit | group string, topic string, partition int32 | `OffsetCommitValue` |
/// | 2 | group metadata | group string | `GroupMetadataValue` |
/// | 3+ | KIP-848 consumer-group and share-group records | — | skipped when loading |
///
/// Values start with their own int16 version. We write `OffsetCommitValue` v3 (offset int64,
/// leaderEpoch int32, metadata string, commitTimestamp int64) and `GroupMetadataValue` v3
/// (protocolType string, generation int32, protocol nullable string, leader nullable string,
/// currentStateTimestamp int64, members [memberId, groupInstanceId nullable, clientId,
/// clientHost, rebalanceTimeout int32, sessionTimeout int32, subscription bytes, assignment
/// bytes]) and read v0–4 (v1 adds expireTimestamp to offsets and rebalanceTimeout to members,
/// v2 the state timestamp, v3 leader epochs and instance ids, v4 the flexible encoding).
/// A null value is a tombstone: the offset or the group was deleted.
enum GroupRecordKey: Equatable, Sendable {
    case offset(group: String, topicPartition: TopicPartition)
    case groupMetadata(group: String)
    /// A record type this coordinator does not keep (newer group protocols).
    case other(version: Int16)

    var group: String? {
        switch self {
        case .offset(let g, _), .groupMetadata(let g): return g
        case .other: return nil
        }
    }

    func encode() throws(WireError) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        switch self {
        case .offset(let group, let tp):
            w.writeInt16(1)
            try w.writeString(group, compact: false)
            try w.writeString(tp.topic, compact: false)
            w.writeInt32(tp.partition)
        case .groupMetadata(let group):
            w.writeInt16(2)
            try w.writeString(group, compact: false)
        case .other(let version):
            w.writeInt16(version)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(WireError) -> GroupRecordKey {
        var r = ByteReader(bytes)
        let version = try r.readInt16()
        switch version {
        case 0, 1:
            let group = try r.readString(compact: false, field: "group")
            let topic = try r.readString(compact: false, field: "topic")
            let partition = try r.readInt32()
            return .offset(group: group, topicPartition: TopicPartition(topic: topic, partition: partition))
        case 2:
            return .groupMetadata(group: try r.readString(compact: false, field: "group"))
        default:
            return .other(version: version)
        }
    }
}

/// The value of an offset commit record.
enum OffsetCommitRecord {
    static let writeVersion: Int16 = 3

    static func encode(_ o: CommittedOffset) throws(WireError) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.writeInt16(writeVersion)
        w.writeInt64(o.offset)
        w.writeInt32(o.leaderEpoch)
        try w.writeString(o.metadata, compact: false)
        w.writeInt64(o.commitTimestamp)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(WireError) -> CommittedOffset {
        var r = ByteReader(bytes)
        let version = try r.readInt16()
        guard (0...4).contains(version) else { throw WireError.unsupportedVersion(message: "OffsetCommitValue", version: version) }
        let flexible = version >= 4
        let offset = try r.readInt64()
        let epoch = version >= 3 ? try r.readInt32() : -1
        let metadata = try r.readString(compact: flexible, field: "metadata")
        let commitTimestamp = try r.readInt64()
        var expire: Int64? = nil
        if version == 1 {
            let e = try r.readInt64()
            expire = e >= 0 ? e : nil
        }
        if flexible { _ = try r.readUnknownTaggedFields() }
        return CommittedOffset(offset: offset, leaderEpoch: epoch, metadata: metadata, commitTimestamp: commitTimestamp, expireTimestamp: expire)
    }
}

/// The value of a group metadata record: the group as of its last completed rebalance.
struct GroupMetadataRecord: Equatable, Sendable {
    struct Member: Equatable, Sendable {
        var memberId: String
        var groupInstanceId: String?
        var clientId: String
        var clientHost: String
        var rebalanceTimeoutMs: Int32
        var sessionTimeoutMs: Int32
        var subscription: [UInt8]
        var assignment: [UInt8]
    }

    static let writeVersion: Int16 = 3

    var protocolType: String
    var generation: Int32
    var protocolName: String?
    var leader: String?
    var currentStateTimestamp: Int64
    var members: [Member]

    func encode() throws(WireError) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.writeInt16(Self.writeVersion)
        try w.writeString(protocolType, compact: false)
        w.writeInt32(generation)
        try w.writeNullableString(protocolName, compact: false)
        try w.writeNullableString(leader, compact: false)
        w.writeInt64(currentStateTimestamp)
        w.writeArrayCount(members.count, compact: false)
        for m in members {
            try w.writeString(m.memberId, compact: false)
            try w.writeNullableString(m.groupInstanceId, compact: false)
            try w.writeString(m.clientId, compact: false)
            try w.writeString(m.clientHost, compact: false)
            w.writeInt32(m.rebalanceTimeoutMs)
            w.writeInt32(m.sessionTimeoutMs)
            w.writeBytes(m.subscription, compact: false)
            w.writeBytes(m.assignment, compact: false)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(WireError) -> GroupMetadataRecord {
        var r = ByteReader(bytes)
        let version = try r.readInt16()
        guard (0...4).contains(version) else { throw WireError.unsupportedVersion(message: "GroupMetadataValue", version: version) }
        let flexible = version >= 4
        let protocolType = try r.readString(compact: flexible, field: "protocolType")
        let generation = try r.readInt32()
        let protocolName = try r.readNullableString(compact: flexible)
        let leader = try r.readNullableString(compact: flexible)
        let timestamp = version >= 2 ? try r.readInt64() : -1
        let count = try r.readArrayCount(compact: flexible, field: "members")
        var members: [Member] = []
        members.reserveCapacity(min(count, 64))
        for _ in 0..<count {
            let memberId = try r.readString(compact: flexible, field: "memberId")
            let instance = version >= 3 ? try r.readNullableString(compact: flexible) : nil
            let clientId = try r.readString(compact: flexible, field: "clientId")
            let clientHost = try r.readString(compact: flexible, field: "clientHost")
            let sessionOrRebalance = try r.readInt32()
            let rebalance: Int32
            let session: Int32
            if version >= 1 {
                rebalance = sessionOrRebalance
                session = try r.readInt32()
            } else {
                // v0 has no rebalance timeout: Kafka uses the session timeout for both.
                (rebalance, session) = (sessionOrRebalance, sessionOrRebalance)
            }
            let subscription = try r.readBytes(compact: flexible, field: "subscription")
            let assignment = try r.readBytes(compact: flexible, field: "assignment")
            if flexible { _ = try r.readUnknownTaggedFields() }
            members.append(Member(
                memberId: memberId, groupInstanceId: instance, clientId: clientId, clientHost: clientHost,
                rebalanceTimeoutMs: rebalance, sessionTimeoutMs: session, subscription: subscription, assignment: assignment))
        }
        if flexible { _ = try r.readUnknownTaggedFields() }
        return GroupMetadataRecord(
            protocolType: protocolType, generation: generation, protocolName: protocolName, leader: leader,
            currentStateTimestamp: timestamp, members: members)
    }
}
