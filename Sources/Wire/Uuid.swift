/// A 128-bit id as Kafka sends it: the high 64 bits, then the low 64 bits. All zero means none.
public struct Uuid: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public static let zero = Uuid(high: 0, low: 0)

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A random version-4 id, as Kafka makes topic ids.
    public static func random() -> Uuid {
        var g = SystemRandomNumberGenerator()
        var high = g.next() as UInt64
        var low = g.next() as UInt64
        high = (high & ~0xF000) | 0x4000
        low = (low & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000
        return Uuid(high: high, low: low)
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    /// Kafka prints ids as URL-safe base64 without padding (22 characters).
    public var description: String { Base64URL.encode(bytes) }

    public init?(base64URL text: String) {
        guard let bytes = Base64URL.decode(text), bytes.count == 16 else { return nil }
        self.high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        self.low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// URL-safe base64 without padding, the form Kafka uses for ids.
enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            let chars = min(4, (bytes.count - i) * 4 / 3 + ((bytes.count - i) * 4 % 3 == 0 ? 0 : 1))
            for k in 0..<chars { out.append(alphabet[Int((n >> (18 - 6 * UInt32(k))) & 63)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt32] = []
        for c in text.utf8 {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt32(v))
        }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let group = values[i..<min(i + 4, values.count)]
            if group.count == 1 { return nil }
            var n: UInt32 = 0
            for (k, v) in group.enumerated() { n |= v << (18 - 6 * UInt32(k)) }
            for k in 0..<(group.count - 1) { out.append(UInt8(truncatingIfNeeded: n >> (16 - 8 * UInt32(k)))) }
            i += 4
        }
        return out
    }
}
