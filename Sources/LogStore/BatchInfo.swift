import KafkaRecords

/// What the log needs to know of one batch it writes or scans: where it is, its offsets and
/// its largest timestamp. Read from the 61-byte header; records are never parsed for this.
struct BatchInfo: Sendable, Equatable {
    /// Byte position (in the buffer being appended, or in the segment file).
    var position: Int
    var size: Int
    var baseOffset: Int64
    var lastOffset: Int64
    var maxTimestamp: Int64
    var recordsCount: Int32
    var partitionLeaderEpoch: Int32
    var producerId: Int64

    init(position: Int, header: RecordBatchHeader) {
        self.position = position
        self.size = header.totalSize
        self.baseOffset = header.baseOffset
        self.lastOffset = header.lastOffset
        self.maxTimestamp = header.maxTimestamp
        self.recordsCount = header.recordsCount
        self.partitionLeaderEpoch = header.partitionLeaderEpoch
        self.producerId = header.producerId
    }

    var nextOffset: Int64 { lastOffset &+ 1 }
}
