import KafkaProtocol
import Wire

/// Deterministic non-default values for generated samples: every call returns something new,
/// so a field decoded into the wrong place shows up as a mismatch.
struct SampleValues {
    private var counter: UInt64

    init(seed: UInt64) { counter = seed &* 7919 &+ 1 }

    private mutating func next() -> UInt64 {
        counter = counter &* 6364136223846793005 &+ 1442695040888963407
        return counter >> 17
    }

    // Never 0 (the usual default) so presence is observable.
    mutating func bool() -> Bool { true }
    mutating func int8() -> Int8 { Int8(truncatingIfNeeded: next() % 120 + 1) }
    mutating func int16() -> Int16 { Int16(truncatingIfNeeded: next() % 30000 + 1) }
    mutating func uint16() -> UInt16 { UInt16(truncatingIfNeeded: next() % 60000 + 1) }
    mutating func int32() -> Int32 { Int32(truncatingIfNeeded: next() % 2_000_000_000 + 1) }
    mutating func int64() -> Int64 { Int64(truncatingIfNeeded: next() % 9_000_000_000_000 + 1) }
    mutating func float64() -> Double { Double(next() % 100_000) + 0.25 }
    mutating func uuid() -> Uuid { Uuid(high: next() | 1, low: next()) }
    mutating func string() -> String { "s\(next() % 100_000)-é" }
    mutating func bytes() -> [UInt8] { (0..<Int(next() % 5 + 1)).map { _ in UInt8(truncatingIfNeeded: next()) } }
    mutating func records() -> Records { .bytes(ArraySlice((0..<Int(next() % 40 + 1)).map { _ in UInt8(truncatingIfNeeded: next()) })) }
    /// Array lengths: 1 or 2, enough to catch per-element framing bugs without blowing up.
    mutating func count() -> Int { Int(next() % 2) + 1 }
    /// Whether a nullable field should be null this time.
    mutating func null() -> Bool { next() % 3 == 0 }
    mutating func unknownTaggedFields() -> [TaggedField] {
        next() % 2 == 0 ? [] : [TaggedField(tag: 100 + UInt32(next() % 50), data: bytes())]
    }
}
