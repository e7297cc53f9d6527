import Wire

/// A message of the legacy formats, magic 0 (Kafka 0.8–0.9) and magic 1 (0.10, adds a
/// timestamp). These reach a broker only through Produce < 3 or Fetch < 4.
///
/// Each log entry is:
///
///     offset int64
///     messageSize int32      bytes after this field
///     crc uint32             CRC-32 (IEEE) of everything from magic to the end
///     magic int8             0 or 1
///     attributes int8        bits 0-2 codec; bit 3 timestamp type (magic 1)
///     timestamp int64        magic 1 only
///     key int32 length + bytes    -1: null
///     value int32 length + bytes  -1: null
///
/// A compressed message is a wrapper whose value is a whole compressed message set; see
/// `LegacyMessageSet` for how inner offsets relate to the wrapper's.
public struct LegacyMessage: Sendable, Hashable {
    public var offset: Int64
    public var magic: Int8
    public var attributes: Int8
    /// The stored CRC.
    public var crc: UInt32
    /// Milliseconds since the epoch; `noTimestamp` for magic 0.
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?

    public init(
        offset: Int64, magic: Int8, attributes: Int8 = 0, crc: UInt32 = 0, timestamp: Int64 = noTimestamp,
        key: [UInt8]?, value: [UInt8]?
    ) {
        self.offset = offset
        self.magic = magic
        self.attributes = attributes
        self.crc = crc
        self.timestamp = timestamp
        self.key = key
        self.value = value
    }

    /// The codec of a wrapper; nil for the unassigned values.
    public var compression: CompressionCodec? {
        CompressionCodec(attributes: Int16(attributes))
    }

    /// Magic 1 only; magic 0 has no timestamp.
    public var timestampType: TimestampType? {
        guard magic >= 1 else { return nil }
        return attributes & 0x08 != 0 ? .logAppendTime : .createTime
    }

    /// Bytes of the entry: 12 + messageSize.
    static let headerSizeV0 = 12 + 4 + 1 + 1
    static let headerSizeV1 = headerSizeV0 + 8

    /// Decodes one complete entry (already framed by `RecordBatchIterator`), checking that its
    /// fields fill it exactly and, with `verifyCRC`, its CRC-32.
    static func decode(_ entry: ArraySlice<UInt8>, verifyCRC: Bool) throws(RecordsError) -> LegacyMessage {
        var reader = ByteReader(entry)
        var offset: Int64 = -1
        do throws(WireError) {
            offset = try reader.readInt64()
            let size = Int(try reader.readInt32())
            if size != reader.remaining { throw WireError.invalidValue(field: "messageSize", detail: "\(size) for \(reader.remaining) bytes") }
            let crc = try reader.readUInt32()
            let covered = reader.position
            let magic = try reader.readInt8()
            if magic != 0 && magic != 1 { throw WireError.invalidValue(field: "magic", detail: "\(magic)") }
            let attributes = try reader.readInt8()
            let timestamp = magic == 1 ? try reader.readInt64() : noTimestamp
            let key = try reader.readNullableBytes(compact: false)
            let value = try reader.readNullableBytes(compact: false)
            if !reader.isAtEnd { throw WireError.trailingBytes(reader.remaining) }
            if verifyCRC {
                let computed = CRC32.checksum(entry[covered...])
                if computed != crc {
                    throw WireError.invalidValue(field: "crc", detail: "stored \(crc), computed \(computed)")
                }
            }
            return LegacyMessage(
                offset: offset, magic: magic, attributes: attributes, crc: crc, timestamp: timestamp, key: key, value: value)
        } catch {
            throw RecordsError.invalidLegacyMessage(offset: offset, detail: error.description)
        }
    }
}
