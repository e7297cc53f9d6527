/// Which partition of `__consumer_offsets` holds a group: Kafka's
/// `Utils.abs(groupId.hashCode) % partitionCount`, where `hashCode` is Java's `String.hashCode`
/// (over UTF-16 code units, wrapping 32-bit arithmetic) and `Utils.abs` masks the sign bit.
/// It must match Kafka exactly: the partition is part of the on-disk layout and clients of a
/// mixed cluster must find the same coordinator.
enum GroupPartitioner {
    static func javaHashCode(_ s: String) -> Int32 {
        var h: Int32 = 0
        for unit in s.utf16 {
            h = h &* 31 &+ Int32(unit)
        }
        return h
    }

    static func partition(for groupId: String, partitionCount: Int) -> Int32 {
        guard partitionCount > 0 else { return 0 }
        return Int32((Int(javaHashCode(groupId)) & 0x7fff_ffff) % partitionCount)
    }
}
