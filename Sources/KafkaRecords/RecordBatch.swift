import Wire

/// A magic-2 batch decoded down to its records.
///
/// Only the places that need record contents decode this far: compaction, producer-state
/// recovery, legacy conversion, timestamp validation and tools. The append path works on
/// `RecordBatchHeader` alone.
public struct RecordBatch: Sendable, Hashable {
    public var header: RecordBatchHeader
    public var records: [Record]

    /// The cap on decompressed bytes the tools use when the caller has no better bound.
    public static let defaultMaxUncompressedBytes = 128 << 20

    public init(header: RecordBatchHeader, records: [Record]) {
        self.header = header
        self.records = records
    }

    /// Decodes the batch at the start of `bytes` (bytes after it are ignored).
    ///
    /// The header is checked by `RecordBatchHeader.validate` with `validation` first. A
    /// compressed payload is inflated to at most `maxUncompressedBytes`. Every record must be
    /// well formed, exactly `recordsCount` of them, filling the payload exactly.
    public static func decode(
        _ bytes: ArraySlice<UInt8>, maxUncompressedBytes: Int = defaultMaxUncompressedBytes,
        validation: RecordBatchValidation = .stored
    ) throws(RecordsError) -> RecordBatch {
        let header = try RecordBatchHeader.validate(bytes, validation)
        let payloadStart = bytes.startIndex + RecordBatchHeader.size
        let payload = bytes[payloadStart..<(bytes.startIndex + header.totalSize)]
        let codec = header.compression ?? .none
        let records: [Record]
        if codec == .none {
            records = try decodeRecords(payload, header: header)
        } else {
            let inflated = try Compression.decompress(payload, codec: codec, maxOutput: maxUncompressedBytes)
            records = try decodeRecords(inflated[...], header: header)
        }
        return RecordBatch(header: header, records: records)
    }

    public static func decode(
        _ bytes: [UInt8], maxUncompressedBytes: Int = defaultMaxUncompressedBytes,
        validation: RecordBatchValidation = .stored
    ) throws(RecordsError) -> RecordBatch {
        try decode(bytes[...], maxUncompressedBytes: maxUncompressedBytes, validation: validation)
    }

    /// Decodes every batch of a blob of back-to-back magic-2 batches, ignoring a trailing
    /// partial one; any other framing problem or a legacy entry is an error.
    public static func decodeAll(
        _ bytes: ArraySlice<UInt8>, maxUncompressedBytes: Int = defaultMaxUncompressedBytes,
        validation: RecordBatchValidation = .stored
    ) throws(RecordsError) -> [RecordBatch] {
        var iterator = RecordBatchIterator(bytes)
        var batches: [RecordBatch] = []
        while let entry = iterator.next() {
            guard entry.magic == RecordBatchHeader.magic else { throw RecordsError.unsupportedMagic(entry.magic) }
            batches.append(try decode(bytes[entry.range], maxUncompressedBytes: maxUncompressedBytes, validation: validation))
        }
        if case .invalid(_, let error) = iterator.stop { throw error }
        return batches
    }

    static func decodeRecords(_ payload: ArraySlice<UInt8>, header: RecordBatchHeader) throws(RecordsError) -> [Record] {
        let count = Int(header.recordsCount)
        // The smallest record is 7 bytes; never reserve more than the payload could hold.
        let smallestRecord = 7
        guard count <= payload.count / smallestRecord else {
            throw RecordsError.recordCountMismatch(
                declared: header.recordsCount, detail: "only \(payload.count) bytes of records")
        }
        let logAppendTime = header.timestampType == .logAppendTime ? header.maxTimestamp : nil
        var reader = ByteReader(payload)
        var records: [Record] = []
        records.reserveCapacity(count)
        for index in 0..<count {
            if reader.isAtEnd {
                throw RecordsError.recordCountMismatch(declared: header.recordsCount, detail: "only \(index) present")
            }
            records.append(
                try Record.decode(
                    from: &reader, index: index, baseOffset: header.baseOffset,
                    baseTimestamp: header.baseTimestamp, logAppendTime: logAppendTime))
        }
        if !reader.isAtEnd {
            throw RecordsError.recordCountMismatch(
                declared: header.recordsCount, detail: "\(reader.remaining) bytes left after the last record")
        }
        return records
    }
}
