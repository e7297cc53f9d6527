import Wire

/// One record of a magic-2 batch, with its absolute offset and effective timestamp.
///
/// Inside a batch a record is stored as (varints are zig-zag, protobuf-style):
///
///     length varint            bytes of the rest of the record
///     attributes int8          unused, 0
///     timestampDelta varlong   from the batch's baseTimestamp
///     offsetDelta varint       from the batch's baseOffset
///     keyLength varint, key    -1: null key
///     valueLength varint, value  -1: null value (a tombstone)
///     headersCount varint, then per header:
///         keyLength varint, key (UTF-8, not null), valueLength varint (-1: null), value
public struct Record: Sendable, Hashable {
    /// Absolute offset: the batch's baseOffset + offsetDelta.
    public var offset: Int64
    /// Milliseconds since the epoch: baseTimestamp + timestampDelta, or the batch's
    /// maxTimestamp when the batch uses LogAppendTime.
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]
    public var attributes: Int8

    public init(
        offset: Int64 = 0, timestamp: Int64 = noTimestamp, key: [UInt8]?, value: [UInt8]?,
        headers: [RecordHeader] = [], attributes: Int8 = 0
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
        self.attributes = attributes
    }

    /// Decodes the record at the reader's position.
    static func decode(
        from reader: inout ByteReader, index: Int, baseOffset: Int64, baseTimestamp: Int64, logAppendTime: Int64?
    ) throws(RecordsError) -> Record {
        do throws(WireError) {
            let length = Int(try reader.readVarint())
            if length < 0 { throw WireError.negativeLength(length) }
            var body = try reader.subReader(length)
            let attributes = try body.readInt8()
            let timestampDelta = try body.readVarlong()
            let offsetDelta = try body.readVarint()
            let key = try readNullableBytes(&body)
            let value = try readNullableBytes(&body)
            let headerCount = Int(try body.readVarint())
            if headerCount < 0 { throw WireError.negativeLength(headerCount) }
            // Each header takes at least two bytes: refuse a count the bytes cannot hold before
            // reserving room for it.
            if headerCount > body.remaining / 2 { throw WireError.lengthTooLarge(headerCount, limit: body.remaining / 2) }
            var headers: [RecordHeader] = []
            headers.reserveCapacity(headerCount)
            for _ in 0..<headerCount {
                let keyLength = Int(try body.readVarint())
                if keyLength < 0 { throw WireError.negativeLength(keyLength) }
                let headerKey = String(decoding: try body.readSlice(keyLength), as: UTF8.self)
                headers.append(RecordHeader(key: headerKey, value: try readNullableBytes(&body)))
            }
            if !body.isAtEnd { throw WireError.trailingBytes(body.remaining) }
            return Record(
                offset: baseOffset &+ Int64(offsetDelta),
                timestamp: logAppendTime ?? (baseTimestamp &+ timestampDelta),
                key: key, value: value, headers: headers, attributes: attributes)
        } catch {
            throw RecordsError.invalidRecord(index: index, detail: error.description)
        }
    }

    private static func readNullableBytes(_ reader: inout ByteReader) throws(WireError) -> [UInt8]? {
        let length = Int(try reader.readVarint())
        if length == -1 { return nil }
        if length < 0 { throw WireError.negativeLength(length) }
        return Array(try reader.readSlice(length))
    }

    /// Appends the record's encoding with the given deltas.
    func encode(into writer: inout ByteWriter, offsetDelta: Int32, timestampDelta: Int64) throws(RecordsError) {
        let keyLength = try Self.encodedLength(key?.count, "key")
        let valueLength = try Self.encodedLength(value?.count, "value")
        var bodySize = 1 + varintSize(timestampDelta) + varintSize(Int64(offsetDelta))
        bodySize += varintSize(Int64(keyLength)) + max(0, Int(keyLength))
        bodySize += varintSize(Int64(valueLength)) + max(0, Int(valueLength))
        bodySize += varintSize(Int64(headers.count))
        for header in headers {
            let headerKeyLength = try Self.encodedLength(header.key.utf8.count, "header key")
            let headerValueLength = try Self.encodedLength(header.value?.count, "header value")
            bodySize += varintSize(Int64(headerKeyLength)) + Int(headerKeyLength)
            bodySize += varintSize(Int64(headerValueLength)) + max(0, Int(headerValueLength))
        }
        guard let length = Int32(exactly: bodySize) else {
            throw RecordsError.unencodable("record of \(bodySize) bytes")
        }
        writer.writeVarint(length)
        writer.writeInt8(attributes)
        writer.writeVarlong(timestampDelta)
        writer.writeVarint(offsetDelta)
        writer.writeVarint(keyLength)
        if let key { writer.writeBytes(key) }
        writer.writeVarint(valueLength)
        if let value { writer.writeBytes(value) }
        writer.writeVarint(Int32(truncatingIfNeeded: headers.count))
        for header in headers {
            writer.writeVarint(Int32(truncatingIfNeeded: header.key.utf8.count))
            writer.writeBytes(header.key.utf8)
            writer.writeVarint(Int32(truncatingIfNeeded: header.value?.count ?? -1))
            if let value = header.value { writer.writeBytes(value) }
        }
    }

    /// A length as the varint prefix holds it: -1 for null.
    private static func encodedLength(_ count: Int?, _ what: String) throws(RecordsError) -> Int32 {
        guard let count else { return -1 }
        guard let length = Int32(exactly: count) else { throw RecordsError.unencodable("\(what) of \(count) bytes") }
        return length
    }
}

/// A record header: a UTF-8 key (never null) and a nullable value.
public struct RecordHeader: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// Bytes of the zig-zag varint encoding of `value`.
@inline(__always)
func varintSize(_ value: Int64) -> Int {
    ZigZag.unsignedVarintSize(ZigZag.encode(value))
}
