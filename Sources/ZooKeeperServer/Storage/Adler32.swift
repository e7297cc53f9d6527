/// Adler-32 (RFC 1950), the checksum `java.util.zip.Adler32` computes: ZooKeeper guards each
/// transaction-log entry and each snapshot with it.
struct Adler32 {
    private(set) var value: UInt32 = 1

    private static let modulus: UInt32 = 65521
    /// The most bytes that can be summed before `b` could overflow 32 bits.
    private static let block = 5552

    init() {}

    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if bytes.withContiguousStorageIfAvailable({ update(buffer: $0) }) != nil { return }
        update(buffer: Array(bytes))
    }

    private mutating func update(buffer bytes: UnsafeBufferPointer<UInt8>) {
        var a = value & 0xFFFF
        var b = value >> 16
        var pending = 0
        for byte in bytes {
            a &+= UInt32(byte)
            b &+= a
            pending += 1
            if pending == Self.block {
                a %= Self.modulus
                b %= Self.modulus
                pending = 0
            }
        }
        a %= Self.modulus
        b %= Self.modulus
        value = b << 16 | a
    }

    private mutating func update(buffer bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { update(buffer: $0) }
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var adler = Adler32()
        adler.update(bytes)
        return adler.value
    }
}
