/// Zig-zag mapping of signed integers onto unsigned ones, so small negative numbers stay short
/// as varints (record batches use it for every varint field).
public enum ZigZag {
    @inlinable public static func encode(_ value: Int32) -> UInt32 {
        UInt32(bitPattern: (value << 1) ^ (value >> 31))
    }
    @inlinable public static func decode(_ value: UInt32) -> Int32 {
        Int32(bitPattern: value >> 1) ^ -Int32(bitPattern: value & 1)
    }
    @inlinable public static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }
    @inlinable public static func decode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    /// Bytes an unsigned varint of this value takes.
    @inlinable public static func unsignedVarintSize(_ value: UInt64) -> Int {
        var v = value
        var size = 1
        while v >= 0x80 { v >>= 7; size += 1 }
        return size
    }
}
