@testable import KafkaRecords

/// A seeded generator, so every "random" test input is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    var out = [UInt8]()
    out.reserveCapacity(count)
    while out.count < count {
        let word = rng.next()
        for shift in stride(from: 0, to: 64, by: 8) where out.count < count {
            out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
        }
    }
    return out
}

/// Text-like bytes that compress well: JSON-ish records from a small vocabulary.
func compressibleBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    let words = ["petrel", "kafka", "offset", "partition", "\"value\":", "{\"id\":", "}", ",", " ", "42", "true"]
    var out = [UInt8]()
    out.reserveCapacity(count + 16)
    while out.count < count {
        out.append(contentsOf: words[Int(rng.next() % UInt64(words.count))].utf8)
    }
    return Array(out.prefix(count))
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Big-endian appenders for hand-assembled test data (independent of Wire's writer).
extension Array where Element == UInt8 {
    mutating func be<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        for i in (0..<size).reversed() { append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }
}

/// Bitwise CRC-32C, the slowest and most obvious form, as an independent reference.
func referenceCRC32C(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}

/// Bitwise CRC-32 (IEEE), the reference for legacy messages.
func referenceCRC32(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// A small batch of assorted records for codec and mutation tests.
func sampleBatch(codec: CompressionCodec, records count: Int = 20, seed: UInt64 = 1) throws -> [UInt8] {
    var builder = RecordBatchBuilder(codec: codec, producerId: 1000, producerEpoch: 2, baseSequence: 10)
    var rng = SplitMix64(seed: seed)
    for i in 0..<count {
        let key: [UInt8]? = i % 5 == 0 ? nil : bytes("key-\(i)")
        let value: [UInt8]? = i % 7 == 3 ? nil : compressibleBytes(Int(rng.next() % 300), seed: UInt64(i))
        let headers = i % 3 == 0 ? [RecordHeader(key: "h\(i)", value: i % 2 == 0 ? nil : bytes("hv"))] : []
        builder.append(key: key, value: value, headers: headers, timestamp: 1_700_000_000_000 + Int64(i * 7))
    }
    return try builder.build()
}
