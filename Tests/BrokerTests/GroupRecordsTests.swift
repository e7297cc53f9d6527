import KafkaProtocol
import LogStore
import Testing
import Wire

@testable import Broker

/// `__consumer_offsets` records in Kafka's byte layout, and Kafka's group → partition rule.
@Suite struct GroupRecordsTests {
    @Test func offsetCommitKeyAndValueBytes() throws {
        let key = try GroupRecordKey.offset(group: "g", topicPartition: TopicPartition(topic: "t", partition: 2)).encode()
        #expect(key == [0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 2])
        let value = try OffsetCommitRecord.encode(CommittedOffset(offset: 5, leaderEpoch: 3, metadata: "m", commitTimestamp: 9))
        #expect(value == [0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 3, 0, 1, 0x6d, 0, 0, 0, 0, 0, 0, 0, 9])
        #expect(try GroupRecordKey.decode(key) == .offset(group: "g", topicPartition: TopicPartition(topic: "t", partition: 2)))
        #expect(try OffsetCommitRecord.decode(value) == CommittedOffset(offset: 5, leaderEpoch: 3, metadata: "m", commitTimestamp: 9))
    }

    @Test func olderOffsetValueVersionsDecode() throws {
        // v1: offset, metadata, commit timestamp, expire timestamp.
        var w = ByteWriter()
        w.writeInt16(1); w.writeInt64(7); try w.writeString("", compact: false); w.writeInt64(100); w.writeInt64(200)
        #expect(try OffsetCommitRecord.decode(w.bytes) == CommittedOffset(offset: 7, commitTimestamp: 100, expireTimestamp: 200))
        // v4: flexible (compact string, tagged fields).
        var f = ByteWriter()
        f.writeInt16(4); f.writeInt64(8); f.writeInt32(1); try f.writeString("x", compact: true); f.writeInt64(5); f.writeUnsignedVarint(0)
        #expect(try OffsetCommitRecord.decode(f.bytes) == CommittedOffset(offset: 8, leaderEpoch: 1, metadata: "x", commitTimestamp: 5))
        #expect(throws: WireError.self) { try OffsetCommitRecord.decode([0, 9, 1]) }
        #expect(throws: WireError.self) { try OffsetCommitRecord.decode([0, 3, 1]) }
    }

    @Test func groupMetadataRoundTripAndLayout() throws {
        let record = GroupMetadataRecord(
            protocolType: "consumer", generation: 4, protocolName: "range", leader: "m1", currentStateTimestamp: 77,
            members: [.init(memberId: "m1", groupInstanceId: nil, clientId: "c", clientHost: "/h", rebalanceTimeoutMs: 1,
                            sessionTimeoutMs: 2, subscription: [1], assignment: [2, 3])])
        let bytes = try record.encode()
        #expect(Array(bytes.prefix(12)) == [0, 3, 0, 8] + Array("consumer".utf8))
        #expect(try GroupMetadataRecord.decode(bytes) == record)
        #expect(try GroupRecordKey.groupMetadata(group: "g").encode() == [0, 2, 0, 1, 0x67])
        // An empty group: null protocol and leader.
        let empty = GroupMetadataRecord(protocolType: "consumer", generation: 5, protocolName: nil, leader: nil, currentStateTimestamp: 1, members: [])
        #expect(try GroupMetadataRecord.decode(try empty.encode()) == empty)
        // v0: no rebalance timeout, no state timestamp.
        var w = ByteWriter()
        w.writeInt16(0); try w.writeString("consumer", compact: false); w.writeInt32(1); try w.writeNullableString("range", compact: false)
        try w.writeNullableString("m", compact: false); w.writeInt32(1); try w.writeString("m", compact: false)
        try w.writeString("c", compact: false); try w.writeString("h", compact: false); w.writeInt32(3000)
        w.writeBytes([1], compact: false); w.writeBytes([2], compact: false)
        let v0 = try GroupMetadataRecord.decode(w.bytes)
        #expect(v0.members.first?.rebalanceTimeoutMs == 3000 && v0.members.first?.sessionTimeoutMs == 3000 && v0.currentStateTimestamp == -1)
        // Garbage never traps.
        for cut in 0..<bytes.count { _ = try? GroupMetadataRecord.decode(Array(bytes.prefix(cut))) }
        #expect(try GroupRecordKey.decode([0, 5, 9]) == .other(version: 5))
    }

    @Test func javaHashCodePartitioning() {
        // Values of Java's "...".hashCode(), computed independently.
        #expect(GroupPartitioner.javaHashCode("") == 0)
        #expect(GroupPartitioner.javaHashCode("group") == 98_629_247)
        #expect(GroupPartitioner.javaHashCode("my-consumer-group-with-a-long-name") == 754_636_653)
        #expect(GroupPartitioner.javaHashCode("é😀") == 1_996_812)
        #expect(GroupPartitioner.javaHashCode("analytics") == -1_693_017_210)
        #expect(GroupPartitioner.partition(for: "group", partitionCount: 50) == 47)
        // A negative hash: Kafka masks the sign bit (Utils.abs), it does not negate.
        #expect(GroupPartitioner.partition(for: "analytics", partitionCount: 50) == 38)
        #expect(GroupPartitioner.partition(for: "my-group", partitionCount: 50) == 36)
    }
}
