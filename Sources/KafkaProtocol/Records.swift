import Wire

/// The value of a `records` field: record batches, either as bytes in memory (a produce request,
/// anything decoded) or as regions of segment files that go out with `sendfile` (fetch data).
public enum Records: Sendable, Hashable {
    case bytes(ArraySlice<UInt8>)
    case regions([FileRegion])

    public static let empty = Records.bytes([])

    /// Bytes on the wire.
    public var count: Int {
        switch self {
        case .bytes(let b): return b.count
        case .regions(let rs): return rs.reduce(0) { $0 + $1.count }
        }
    }
}

extension ByteReader {
    public mutating func readNullableRecords(compact: Bool) throws(WireError) -> Records? {
        try readNullableByteSlice(compact: compact).map(Records.bytes)
    }

    public mutating func readRecords(compact: Bool, field: StaticString) throws(WireError) -> Records {
        guard let records = try readNullableRecords(compact: compact) else {
            throw WireError.unexpectedNull(field: "\(field)")
        }
        return records
    }
}

extension ByteWriter {
    public mutating func writeRecords(_ records: Records, compact: Bool) {
        switch records {
        case .bytes(let b):
            writeBytes(b, compact: compact)
        case .regions(let regions):
            let total = regions.reduce(0) { $0 + $1.count }
            if compact {
                writeUnsignedVarint(UInt32(truncatingIfNeeded: total + 1))
            } else {
                writeInt32(Int32(truncatingIfNeeded: total))
            }
            for region in regions { writeRegion(region) }
        }
    }

    public mutating func writeNullableRecords(_ records: Records?, compact: Bool) {
        guard let records else { return writeNullableBytes(nil as [UInt8]?, compact: compact) }
        writeRecords(records, compact: compact)
    }
}
