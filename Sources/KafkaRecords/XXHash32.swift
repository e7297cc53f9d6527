/// xxHash32 (Yann Collet's, seed-parameterised), needed for the LZ4 frame header checksum byte.
///
/// liblz4 bundles xxHash but does not export it, and only a few header bytes are ever hashed
/// here, so a plain Swift version is enough. All arithmetic wraps, as the algorithm specifies.
public enum XXHash32 {
    static let prime1: UInt32 = 0x9E37_79B1
    static let prime2: UInt32 = 0x85EB_CA77
    static let prime3: UInt32 = 0xC2B2_AE3D
    static let prime4: UInt32 = 0x27D4_EB2F
    static let prime5: UInt32 = 0x1656_67B1

    public static func hash<C: Collection<UInt8>>(_ bytes: C, seed: UInt32 = 0) -> UInt32 {
        withContiguousBytes(of: bytes) { hash($0, seed: seed) }
    }

    public static func hash(_ input: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        let length = input.count
        var position = 0
        var h: UInt32
        if length >= 16 {
            var v1 = seed &+ prime1 &+ prime2
            var v2 = seed &+ prime2
            var v3 = seed
            var v4 = seed &- prime1
            while length - position >= 16 {
                v1 = round(v1, lane(input, position))
                v2 = round(v2, lane(input, position + 4))
                v3 = round(v3, lane(input, position + 8))
                v4 = round(v4, lane(input, position + 12))
                position += 16
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            h = seed &+ prime5
        }
        h = h &+ UInt32(truncatingIfNeeded: length)
        while length - position >= 4 {
            h = h &+ lane(input, position) &* prime3
            h = rotl(h, 17) &* prime4
            position += 4
        }
        while position < length {
            h = h &+ UInt32(input[position]) &* prime5
            h = rotl(h, 11) &* prime1
            position += 1
        }
        h ^= h >> 15
        h = h &* prime2
        h ^= h >> 13
        h = h &* prime3
        h ^= h >> 16
        return h
    }

    @inline(__always)
    private static func lane(_ input: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: input.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    private static func round(_ accumulator: UInt32, _ lane: UInt32) -> UInt32 {
        rotl(accumulator &+ lane &* prime2, 13) &* prime1
    }

    @inline(__always)
    private static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 {
        (x << r) | (x >> (32 - r))
    }
}
