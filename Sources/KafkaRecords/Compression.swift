/// Compresses and decompresses record payloads in the framings Kafka clients use.
///
/// Decompression always takes `maxOutput`: record data comes from the network or disk, and a
/// few bytes of crafted input can claim gigabytes. Output grows in steps and stops with
/// `RecordsError.decompressedTooLarge` once it would pass the cap, so memory stays bounded by
/// the caller's limit whatever the input says. See the codec files for each framing.
public enum Compression {
    /// Compresses `bytes` as a Kafka producer of this codec would. `level` is the codec's own
    /// level (gzip 1–9, lz4 0–12, zstd 1–22); nil picks Kafka's default. `.none` returns the
    /// bytes unchanged.
    public static func compress<C: Collection<UInt8>>(
        _ bytes: C, codec: CompressionCodec, level: Int? = nil
    ) throws(RecordsError) -> [UInt8] {
        try withContiguousBytes(of: bytes) { (input) throws(RecordsError) -> [UInt8] in
            switch codec {
            case .none: return Array(input)
            case .gzip: return try Gzip.compress(input, level: level)
            case .snappy: return try Snappy.compressXerial(input)
            case .lz4: return try LZ4Frame.compress(input, level: level)
            case .zstd: return try Zstd.compress(input, level: level)
            }
        }
    }

    /// Decompresses one codec payload, refusing to produce more than `maxOutput` bytes.
    /// `legacyLZ4HeaderChecksum` is for lz4 inside magic 0 messages (see `LZ4Frame`).
    public static func decompress<C: Collection<UInt8>>(
        _ bytes: C, codec: CompressionCodec, maxOutput: Int, legacyLZ4HeaderChecksum: Bool = false
    ) throws(RecordsError) -> [UInt8] {
        try withContiguousBytes(of: bytes) { (input) throws(RecordsError) -> [UInt8] in
            switch codec {
            case .none:
                if input.count > maxOutput { throw RecordsError.decompressedTooLarge(codec: .none, limit: maxOutput) }
                return Array(input)
            case .gzip: return try Gzip.decompress(input, maxOutput: maxOutput)
            case .snappy: return try Snappy.decompress(input, maxOutput: maxOutput)
            case .lz4:
                return try LZ4Frame.decompress(input, maxOutput: maxOutput, legacyHeaderChecksum: legacyLZ4HeaderChecksum)
            case .zstd: return try Zstd.decompress(input, maxOutput: maxOutput)
            }
        }
    }
}

/// The output of a streaming decompressor: grows geometrically up to one byte past the cap, so
/// "exactly the cap" and "more than the cap" can be told apart without asking the codec twice.
struct BoundedOutput {
    let codec: CompressionCodec
    let limit: Int
    private(set) var storage: [UInt8]
    /// Bytes written so far.
    var count = 0

    /// `expected` is a guess of the final size (a declared content size, a multiple of input).
    init(codec: CompressionCodec, limit: Int, expected: Int) {
        self.codec = codec
        self.limit = max(0, limit)
        let hardLimit = self.limit == Int.max ? Int.max : self.limit + 1
        let first = min(hardLimit, max(4096, min(expected, 1 << 26)))
        storage = [UInt8](repeating: 0, count: first)
    }

    /// Space after `count`, growing first if there is none.
    mutating func makeSpace() throws(RecordsError) {
        if count < storage.count { return }
        if count > limit { throw RecordsError.decompressedTooLarge(codec: codec, limit: limit) }
        let hardLimit = limit == Int.max ? Int.max : limit + 1
        let grown = min(hardLimit, storage.count > hardLimit / 2 ? hardLimit : storage.count * 2)
        storage.append(contentsOf: repeatElement(0, count: grown - storage.count))
    }

    /// Lets a codec write into the free space; `body` returns the bytes it wrote.
    mutating func write<E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> Int) throws(E) {
        let start = count
        let written = try withMutableBytes(of: &storage) { (all) throws(E) -> Int in
            try body(UnsafeMutableRawBufferPointer(rebasing: all[start...]))
        }
        count += written
    }

    /// The finished output, or `decompressedTooLarge` if it passed the cap.
    mutating func finish() throws(RecordsError) -> [UInt8] {
        if count > limit { throw RecordsError.decompressedTooLarge(codec: codec, limit: limit) }
        storage.removeSubrange(count...)
        return storage
    }
}
