/// A bounds-checked cursor over bytes received from the network or read from disk.
///
/// A value type holding a slice of the caller's buffer: reading never copies the underlying
/// storage except where a result must own its bytes (`String`, `[UInt8]`). `readSlice` returns a
/// slice that shares storage, which is how record sets travel from a request frame to the log
/// without a copy. Every read checks what remains first and throws `WireError`; nothing traps.
public struct ByteReader: Sendable {
    let storage: ArraySlice<UInt8>
    /// Index into `storage` of the next byte to read.
    public private(set) var position: Int

    public init(_ bytes: [UInt8]) {
        self.storage = bytes[...]
        self.position = storage.startIndex
    }

    public init(_ bytes: ArraySlice<UInt8>) {
        self.storage = bytes
        self.position = bytes.startIndex
    }

    /// Bytes not yet read.
    public var remaining: Int { storage.endIndex - position }
    public var isAtEnd: Bool { position == storage.endIndex }
    /// Bytes read so far.
    public var consumed: Int { position - storage.startIndex }

    func need(_ count: Int) throws(WireError) {
        if count > remaining { throw WireError.truncated(needed: count, remaining: remaining) }
    }

    mutating func loadBigEndian<T: FixedWidthInteger>(_: T.Type) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        try need(size)
        let offset = position - storage.startIndex
        let value = storage.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        position += size
        return T(bigEndian: value)
    }

    // MARK: Fixed-width values

    public mutating func readInt8() throws(WireError) -> Int8 { try loadBigEndian(Int8.self) }
    public mutating func readUInt8() throws(WireError) -> UInt8 { try loadBigEndian(UInt8.self) }
    public mutating func readInt16() throws(WireError) -> Int16 { try loadBigEndian(Int16.self) }
    public mutating func readUInt16() throws(WireError) -> UInt16 { try loadBigEndian(UInt16.self) }
    public mutating func readInt32() throws(WireError) -> Int32 { try loadBigEndian(Int32.self) }
    public mutating func readUInt32() throws(WireError) -> UInt32 { try loadBigEndian(UInt32.self) }
    public mutating func readInt64() throws(WireError) -> Int64 { try loadBigEndian(Int64.self) }
    public mutating func readUInt64() throws(WireError) -> UInt64 { try loadBigEndian(UInt64.self) }

    public mutating func readFloat64() throws(WireError) -> Double {
        Double(bitPattern: try readUInt64())
    }

    /// Kafka reads any non-zero byte as true.
    public mutating func readBool() throws(WireError) -> Bool { try readInt8() != 0 }

    public mutating func readUuid() throws(WireError) -> Uuid {
        let high = try readUInt64()
        let low = try readUInt64()
        return Uuid(high: high, low: low)
    }

    // MARK: Varints (protobuf base-128, low groups first)

    public mutating func readUnsignedVarint() throws(WireError) -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            let byte = try readUInt8()
            if shift == 28 && byte & 0xF0 != 0 { throw WireError.malformedVarint }
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    public mutating func readUnsignedVarlong() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readUInt8()
            if shift == 63 && byte & 0xFE != 0 { throw WireError.malformedVarint }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A zig-zag signed varint (record fields).
    public mutating func readVarint() throws(WireError) -> Int32 {
        ZigZag.decode(try readUnsignedVarint())
    }

    /// A zig-zag signed varlong (record timestamps).
    public mutating func readVarlong() throws(WireError) -> Int64 {
        ZigZag.decode(try readUnsignedVarlong())
    }

    // MARK: Raw bytes

    /// The next `count` bytes as a slice sharing this reader's storage.
    public mutating func readSlice(_ count: Int) throws(WireError) -> ArraySlice<UInt8> {
        if count < 0 { throw WireError.negativeLength(count) }
        try need(count)
        let slice = storage[position..<(position + count)]
        position += count
        return slice
    }

    public mutating func skip(_ count: Int) throws(WireError) {
        _ = try readSlice(count)
    }

    /// Every byte not yet read, as a shared slice.
    public mutating func readRemaining() -> ArraySlice<UInt8> {
        let slice = storage[position...]
        position = storage.endIndex
        return slice
    }

    /// A reader over the next `count` bytes; this reader moves past them.
    public mutating func subReader(_ count: Int) throws(WireError) -> ByteReader {
        ByteReader(try readSlice(count))
    }

    /// Looks at bytes ahead without moving. `offset` counts from the current position.
    public func peekUInt8(at offset: Int = 0) throws(WireError) -> UInt8 {
        if offset < 0 || offset >= remaining { throw WireError.truncated(needed: offset + 1, remaining: remaining) }
        return storage[position + offset]
    }

    // MARK: Kafka's length-prefixed strings, bytes and arrays

    /// Reads the length prefix of a string, bytes or array: int16 (strings), int32 (bytes,
    /// arrays) or, when `compact`, an unsigned varint holding length+1. nil means null.
    mutating func readLength(compact: Bool, wide: Bool) throws(WireError) -> Int? {
        let length: Int
        if compact {
            length = Int(try readUnsignedVarint()) - 1
        } else if wide {
            length = Int(try readInt32())
        } else {
            length = Int(try readInt16())
        }
        if length == -1 { return nil }
        if length < 0 { throw WireError.negativeLength(length) }
        return length
    }

    public mutating func readNullableString(compact: Bool) throws(WireError) -> String? {
        guard let length = try readLength(compact: compact, wide: false) else { return nil }
        try need(length)
        let slice = try readSlice(length)
        // Kafka decodes with replacement of malformed sequences; so do we.
        return String(decoding: slice, as: UTF8.self)
    }

    public mutating func readString(compact: Bool, field: StaticString = "string") throws(WireError) -> String {
        guard let value = try readNullableString(compact: compact) else {
            throw WireError.unexpectedNull(field: "\(field)")
        }
        return value
    }

    public mutating func readNullableBytes(compact: Bool) throws(WireError) -> [UInt8]? {
        guard let slice = try readNullableByteSlice(compact: compact) else { return nil }
        return Array(slice)
    }

    public mutating func readBytes(compact: Bool, field: StaticString = "bytes") throws(WireError) -> [UInt8] {
        guard let value = try readNullableBytes(compact: compact) else {
            throw WireError.unexpectedNull(field: "\(field)")
        }
        return value
    }

    /// Length-prefixed bytes as a slice sharing storage (record sets).
    public mutating func readNullableByteSlice(compact: Bool) throws(WireError) -> ArraySlice<UInt8>? {
        guard let length = try readLength(compact: compact, wide: true) else { return nil }
        return try readSlice(length)
    }

    /// An array's element count; nil means null. Like Kafka, refuses a count larger than the
    /// bytes that remain before anything is allocated for it.
    public mutating func readArrayCount(compact: Bool) throws(WireError) -> Int? {
        guard let count = try readLength(compact: compact, wide: true) else { return nil }
        if count > remaining { throw WireError.lengthTooLarge(count, limit: remaining) }
        return count
    }

    public mutating func readArrayCount(compact: Bool, field: StaticString) throws(WireError) -> Int {
        guard let count = try readArrayCount(compact: compact) else {
            throw WireError.unexpectedNull(field: "\(field)")
        }
        return count
    }
}
