/// `<baseOffset>.index`: a sparse map from offsets to byte positions in the segment's `.log`.
///
/// Each entry is 8 bytes, big-endian: int32 offset relative to the segment's base offset, then
/// int32 byte position of a batch in the `.log` file. Kafka adds an entry for a batch when more
/// than `index.interval.bytes` were appended since the previous entry, naming that batch's
/// last offset and its position; so the first batch of a segment is never indexed, a slot of
/// zeros is unused, and both fields strictly increase.
struct OffsetPosition: IndexEntry, CustomStringConvertible {
    static let size = 8
    var offset: Int64
    var position: Int32

    init(offset: Int64, position: Int32) {
        self.offset = offset
        self.position = position
    }

    init?(raw: UnsafeRawBufferPointer, baseOffset: Int64) {
        let relative = raw.loadBE(Int32.self, at: 0)
        let position = raw.loadBE(Int32.self, at: 4)
        if relative == 0 && position == 0 { return nil }
        self.init(offset: baseOffset &+ Int64(relative), position: position)
    }

    func encode(baseOffset: Int64, into bytes: inout [UInt8]) {
        bytes.appendBE(Int32(truncatingIfNeeded: offset - baseOffset))
        bytes.appendBE(position)
    }

    func follows(_ previous: OffsetPosition) -> Bool {
        offset > previous.offset && position > previous.position
    }

    var description: String { "offset \(offset) at \(position)" }
}

typealias OffsetIndex = IndexFile<OffsetPosition>

extension IndexFile where Entry == OffsetPosition {
    /// The entry with the largest offset at or below `target`: where a scan for `target` starts.
    static func floor(_ entries: [OffsetPosition], _ target: Int64) -> OffsetPosition? {
        var low = 0
        var high = entries.count - 1
        var found: OffsetPosition?
        while low <= high {
            let mid = (low + high) / 2
            if entries[mid].offset <= target {
                found = entries[mid]
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        return found
    }
}
