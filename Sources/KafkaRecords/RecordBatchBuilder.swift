import Wire

/// Builds one magic-2 batch: the records, the header with its lengths and counts, compression
/// per the codec, and the CRC-32C last.
///
/// Records keep absolute offsets; the builder turns them into deltas from `baseOffset`. The
/// first record's timestamp becomes baseTimestamp, as Kafka's producer does; maxTimestamp is
/// the largest record timestamp, or `logAppendTime` when the batch uses the broker's clock.
public struct RecordBatchBuilder: Sendable {
    public var baseOffset: Int64
    public var partitionLeaderEpoch: Int32
    public var codec: CompressionCodec
    /// The codec's own level; nil is Kafka's default.
    public var compressionLevel: Int?
    public var timestampType: TimestampType
    /// maxTimestamp for a LogAppendTime batch (nil: the largest record timestamp).
    public var logAppendTime: Int64?
    public var isTransactional: Bool
    public var isControl: Bool
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public private(set) var records: [Record] = []

    public init(
        baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1, codec: CompressionCodec = .none,
        compressionLevel: Int? = nil, timestampType: TimestampType = .createTime, logAppendTime: Int64? = nil,
        isTransactional: Bool = false, isControl: Bool = false,
        producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1
    ) {
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.codec = codec
        self.compressionLevel = compressionLevel
        self.timestampType = timestampType
        self.logAppendTime = logAppendTime
        self.isTransactional = isTransactional
        self.isControl = isControl
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
    }

    public var isEmpty: Bool { records.isEmpty }
    public var count: Int { records.count }

    /// The offset the next `append(key:value:...)` gives its record.
    public var nextOffset: Int64 { records.last.map { $0.offset &+ 1 } ?? baseOffset }

    /// Appends a record at the next offset.
    public mutating func append(key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = [], timestamp: Int64) {
        records.append(Record(offset: nextOffset, timestamp: timestamp, key: key, value: value, headers: headers))
    }

    /// Appends a record with its own offset, which must be above the previous record's.
    public mutating func append(_ record: Record) throws(RecordsError) {
        if let last = records.last, record.offset <= last.offset {
            throw RecordsError.unencodable("offset \(record.offset) does not follow \(last.offset)")
        }
        records.append(record)
    }

    /// The batch's bytes.
    public func build() throws(RecordsError) -> [UInt8] {
        guard let first = records.first, let last = records.last else {
            throw RecordsError.unencodable("a batch needs at least one record")
        }
        let (span, overflow) = last.offset.subtractingReportingOverflow(baseOffset)
        guard first.offset >= baseOffset, !overflow, let lastOffsetDelta = Int32(exactly: span) else {
            throw RecordsError.unencodable("offsets \(first.offset)...\(last.offset) do not fit base offset \(baseOffset)")
        }
        guard let recordsCount = Int32(exactly: records.count) else {
            throw RecordsError.unencodable("\(records.count) records")
        }
        let baseTimestamp = first.timestamp
        var maxTimestamp = noTimestamp
        var body = ByteWriter(capacity: records.count * 64)
        for record in records {
            maxTimestamp = max(maxTimestamp, record.timestamp)
            // Checked above: offsets ascend from baseOffset and the last delta fits Int32.
            let offsetDelta = Int32(truncatingIfNeeded: record.offset &- baseOffset)
            try record.encode(into: &body, offsetDelta: offsetDelta, timestampDelta: record.timestamp &- baseTimestamp)
        }
        if timestampType == .logAppendTime, let logAppendTime { maxTimestamp = logAppendTime }
        let payload = codec == .none
            ? body.bytes : try Compression.compress(body.bytes, codec: codec, level: compressionLevel)
        guard let batchLength = Int32(exactly: RecordBatchHeader.size - RecordBatchHeader.logOverhead + payload.count) else {
            throw RecordsError.unencodable("batch of \(payload.count) payload bytes")
        }
        let header = RecordBatchHeader(
            baseOffset: baseOffset, batchLength: batchLength, partitionLeaderEpoch: partitionLeaderEpoch,
            attributes: RecordBatchHeader.attributes(
                compression: codec, timestampType: timestampType, isTransactional: isTransactional, isControl: isControl),
            lastOffsetDelta: lastOffsetDelta, baseTimestamp: baseTimestamp, maxTimestamp: maxTimestamp,
            producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence, recordsCount: recordsCount)
        var batch = [UInt8](repeating: 0, count: RecordBatchHeader.size)
        batch.reserveCapacity(RecordBatchHeader.size + payload.count)
        batch.append(contentsOf: payload)
        try withMutableBytes(of: &batch) { (raw) throws(RecordsError) in
            try header.write(to: raw)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.attributesOffset...]))
            raw.storeBigEndian(crc, at: RecordBatchHeader.crcOffset)
        }
        return batch
    }
}
