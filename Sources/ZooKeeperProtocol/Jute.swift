import Wire

/// A record of ZooKeeper's jute serialization: fields in declaration order, big-endian, no
/// tags or versions (see `zookeeper.jute` and NOTES.md §1). Which record to expect is known
/// only from context (the op code), so every record decodes from a reader positioned at it and
/// leaves the reader after it.
///
/// Decoding never traps: every length is checked against what remains before anything is
/// allocated (`ByteReader` does it), and a bad value throws `WireError`.
public protocol JuteRecord: Sendable, Equatable {
    init(from reader: inout ByteReader) throws(WireError)
    func encode(into writer: inout ByteWriter)
}

extension JuteRecord {
    /// The record's bytes on their own.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        encode(into: &writer)
        return writer.bytes
    }

    /// Decodes one record from the start of `bytes`; bytes after it are ignored, as ZooKeeper
    /// ignores them.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> Self {
        var reader = ByteReader(bytes)
        return try Self(from: &reader)
    }
}

// MARK: jute's primitive encodings (NOTES.md §1)

extension ByteReader {
    /// jute `ustring`: int32 byte count (-1 = null), UTF-8. Malformed UTF-8 is replaced, as
    /// Java's decoder does.
    public mutating func readJuteNullableString() throws(WireError) -> String? {
        let length = Int(try readInt32())
        if length == -1 { return nil }
        if length < 0 { throw WireError.negativeLength(length) }
        return String(decoding: try readSlice(length), as: UTF8.self)
    }

    /// A `ustring` where null makes no sense (paths, schemes): null is a decode error.
    public mutating func readJuteString(field: StaticString = "string") throws(WireError) -> String {
        guard let value = try readJuteNullableString() else { throw WireError.unexpectedNull(field: "\(field)") }
        return value
    }

    /// jute `buffer`: int32 byte count (-1 = null), raw bytes.
    public mutating func readJuteNullableBuffer() throws(WireError) -> [UInt8]? {
        guard let slice = try readNullableByteSlice(compact: false) else { return nil }
        return Array(slice)
    }

    /// A `buffer` read as empty when null (znode data: ZooKeeper stores null data as empty).
    public mutating func readJuteBuffer() throws(WireError) -> [UInt8] {
        try readJuteNullableBuffer() ?? []
    }

    /// jute `boolean`: one byte; Java's reader takes any non-zero byte as true.
    public mutating func readJuteBool() throws(WireError) -> Bool {
        try readUInt8() != 0
    }

    /// jute `vector<T>`: int32 count (-1 = null), then the elements. A count larger than the
    /// bytes left is refused before anything is allocated (every element is at least a byte).
    public mutating func readJuteVector<T>(
        _ element: (inout ByteReader) throws(WireError) -> T
    ) throws(WireError) -> [T]? {
        guard let count = try readArrayCount(compact: false) else { return nil }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    public mutating func readJuteStrings(field: StaticString = "vector") throws(WireError) -> [String] {
        try readJuteVector { reader throws(WireError) in try reader.readJuteString(field: field) } ?? []
    }
}

extension ByteWriter {
    public mutating func writeJuteString(_ value: String?) {
        guard let value else { return writeInt32(-1) }
        let utf8 = value.utf8
        writeInt32(Int32(truncatingIfNeeded: utf8.count))
        writeBytes(utf8)
    }

    public mutating func writeJuteBuffer(_ value: [UInt8]?) {
        writeNullableBytes(value, compact: false)
    }

    public mutating func writeJuteBool(_ value: Bool) {
        writeUInt8(value ? 1 : 0)
    }

    public mutating func writeJuteVector<T>(_ values: [T]?, _ element: (inout ByteWriter, T) -> Void) {
        guard let values else { return writeInt32(-1) }
        writeInt32(Int32(truncatingIfNeeded: values.count))
        for value in values { element(&self, value) }
    }

    public mutating func writeJuteStrings(_ values: [String]) {
        writeJuteVector(values) { $0.writeJuteString($1) }
    }

    public mutating func write(_ record: some JuteRecord) {
        record.encode(into: &self)
    }
}
