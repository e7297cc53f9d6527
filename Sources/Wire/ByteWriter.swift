/// Appends big-endian values to a growing buffer; length prefixes are reserved and back-patched.
///
/// Bytes that already sit in a file (fetched record data) are not copied in: `writeRegion`
/// records a `Splice` at the current position, and the sender interleaves the buffer with
/// `sendfile` of each region. `totalCount` counts both, so frame sizes stay right.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]
    public private(set) var splices: [Splice] = []
    /// Sum of the lengths of all spliced regions.
    public private(set) var splicedCount: Int = 0

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Bytes in the buffer plus bytes in spliced regions: the size on the wire.
    public var totalCount: Int { bytes.count + splicedCount }

    // MARK: Fixed-width values

    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeInt8(_ v: Int8) { bytes.append(UInt8(bitPattern: v)) }
    public mutating func writeUInt8(_ v: UInt8) { bytes.append(v) }
    public mutating func writeInt16(_ v: Int16) { appendBigEndian(v) }
    public mutating func writeUInt16(_ v: UInt16) { appendBigEndian(v) }
    public mutating func writeInt32(_ v: Int32) { appendBigEndian(v) }
    public mutating func writeUInt32(_ v: UInt32) { appendBigEndian(v) }
    public mutating func writeInt64(_ v: Int64) { appendBigEndian(v) }
    public mutating func writeUInt64(_ v: UInt64) { appendBigEndian(v) }
    public mutating func writeFloat64(_ v: Double) { appendBigEndian(v.bitPattern) }
    public mutating func writeBool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func writeUuid(_ v: Uuid) {
        appendBigEndian(v.high)
        appendBigEndian(v.low)
    }

    // MARK: Varints

    public mutating func writeUnsignedVarint(_ v: UInt32) { writeUnsignedVarlong(UInt64(v)) }

    public mutating func writeUnsignedVarlong(_ v: UInt64) {
        var value = v
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func writeVarint(_ v: Int32) { writeUnsignedVarint(ZigZag.encode(v)) }
    public mutating func writeVarlong(_ v: Int64) { writeUnsignedVarlong(ZigZag.encode(v)) }

    // MARK: Raw bytes

    public mutating func writeBytes<C: Collection>(_ raw: C) where C.Element == UInt8 {
        bytes.append(contentsOf: raw)
    }

    /// Bytes that stay in a file: sent with `sendfile` when the frame goes out.
    public mutating func writeRegion(_ region: FileRegion) {
        splices.append(Splice(at: bytes.count, region: region))
        splicedCount += region.count
    }

    /// Appends another writer's output, splices included.
    public mutating func append(_ other: ByteWriter) {
        let base = bytes.count
        bytes.append(contentsOf: other.bytes)
        for splice in other.splices {
            splices.append(Splice(at: base + splice.at, region: splice.region))
        }
        splicedCount += other.splicedCount
    }

    // MARK: Back-patching

    /// Reserves four bytes for an int32 written later with `patchInt32`; returns their index.
    public mutating func reserveInt32() -> Int {
        let index = bytes.count
        bytes.append(contentsOf: [0, 0, 0, 0])
        return index
    }

    public mutating func patchInt32(_ value: Int32, at index: Int) {
        let v = UInt32(bitPattern: value)
        bytes[index] = UInt8(truncatingIfNeeded: v >> 24)
        bytes[index + 1] = UInt8(truncatingIfNeeded: v >> 16)
        bytes[index + 2] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[index + 3] = UInt8(truncatingIfNeeded: v)
    }

    /// Overwrites bytes already written (record-batch headers patched in place).
    public mutating func patch<C: Collection>(_ raw: C, at index: Int) where C.Element == UInt8 {
        bytes.replaceSubrange(index..<(index + raw.count), with: raw)
    }

    /// The wire size of everything written after `index` (a reserved prefix excluded).
    public func countSince(_ index: Int) -> Int {
        totalCount - index - splices.filter { $0.at < index }.reduce(0) { $0 + $1.region.count }
    }

    // MARK: Kafka's length-prefixed strings, bytes and arrays

    mutating func writeLength(_ length: Int?, compact: Bool, wide: Bool) {
        if compact {
            writeUnsignedVarint(UInt32(truncatingIfNeeded: (length ?? -1) + 1))
        } else if wide {
            writeInt32(Int32(truncatingIfNeeded: length ?? -1))
        } else {
            writeInt16(Int16(truncatingIfNeeded: length ?? -1))
        }
    }

    public mutating func writeNullableString(_ value: String?, compact: Bool) throws(WireError) {
        guard let value else { return writeLength(nil, compact: compact, wide: false) }
        let utf8 = value.utf8
        if !compact && utf8.count > Int(Int16.max) {
            throw WireError.lengthTooLarge(utf8.count, limit: Int(Int16.max))
        }
        writeLength(utf8.count, compact: compact, wide: false)
        bytes.append(contentsOf: utf8)
    }

    public mutating func writeString(_ value: String, compact: Bool) throws(WireError) {
        try writeNullableString(value, compact: compact)
    }

    public mutating func writeNullableBytes<C: Collection>(_ value: C?, compact: Bool) where C.Element == UInt8 {
        guard let value else { return writeLength(nil, compact: compact, wide: true) }
        writeLength(value.count, compact: compact, wide: true)
        bytes.append(contentsOf: value)
    }

    public mutating func writeBytes<C: Collection>(_ value: C, compact: Bool) where C.Element == UInt8 {
        writeLength(value.count, compact: compact, wide: true)
        bytes.append(contentsOf: value)
    }

    public mutating func writeArrayCount(_ count: Int?, compact: Bool) {
        writeLength(count, compact: compact, wide: true)
    }
}

/// A region of a file that belongs in a frame at a given position of its buffer.
public struct Splice: Sendable, Hashable {
    /// Index in `ByteWriter.bytes` before which the region goes.
    public var at: Int
    public var region: FileRegion
}

/// Bytes that live in a file: `count` bytes from `offset` of the open descriptor `fd`.
public struct FileRegion: Sendable, Hashable {
    public var fd: Int32
    public var offset: Int64
    public var count: Int

    public init(fd: Int32, offset: Int64, count: Int) {
        self.fd = fd
        self.offset = offset
        self.count = count
    }
}

/// A tagged field the decoder did not recognise, kept so it survives a re-encode.
public struct TaggedField: Sendable, Hashable {
    public var tag: UInt32
    public var data: [UInt8]

    public init(tag: UInt32, data: [UInt8]) {
        self.tag = tag
        self.data = data
    }
}
