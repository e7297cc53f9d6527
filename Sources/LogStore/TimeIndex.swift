/// `<baseOffset>.timeindex`: a sparse map from timestamps to offsets.
///
/// Each entry is 12 bytes, big-endian: int64 timestamp, then int32 offset relative to the
/// segment's base offset. An entry says: the largest timestamp among batches up to and
/// including the one holding this offset is this timestamp. Entries are added beside
/// offset-index entries, only when the timestamp grew, and once more when the segment rolls or
/// closes, so the last entry holds the segment's largest timestamp.
struct TimestampOffset: IndexEntry, CustomStringConvertible {
    static let size = 12
    var timestamp: Int64
    var offset: Int64

    init(timestamp: Int64, offset: Int64) {
        self.timestamp = timestamp
        self.offset = offset
    }

    init?(raw: UnsafeRawBufferPointer, baseOffset: Int64) {
        let timestamp = raw.loadBE(Int64.self, at: 0)
        let relative = raw.loadBE(Int32.self, at: 8)
        if timestamp == 0 && relative == 0 { return nil }
        self.init(timestamp: timestamp, offset: baseOffset &+ Int64(relative))
    }

    func encode(baseOffset: Int64, into bytes: inout [UInt8]) {
        bytes.appendBE(timestamp)
        bytes.appendBE(Int32(truncatingIfNeeded: offset - baseOffset))
    }

    /// Timestamps strictly increase; offsets never go back (two entries may name one offset).
    func follows(_ previous: TimestampOffset) -> Bool {
        timestamp > previous.timestamp && offset >= previous.offset
    }

    var description: String { "timestamp \(timestamp) at offset \(offset)" }
}

typealias TimeIndex = IndexFile<TimestampOffset>

extension IndexFile where Entry == TimestampOffset {
    /// The last entry whose timestamp is strictly below `target`: every batch before its offset
    /// is older than `target`, so a search for `target` may start there.
    static func lastBelow(_ entries: [TimestampOffset], _ target: Int64) -> TimestampOffset? {
        var low = 0
        var high = entries.count - 1
        var found: TimestampOffset?
        while low <= high {
            let mid = (low + high) / 2
            if entries[mid].timestamp < target {
                found = entries[mid]
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        return found
    }
}
