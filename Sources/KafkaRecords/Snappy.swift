import CSnappy

/// Snappy in the two framings Kafka clients write.
///
/// - xerial framing (snappy-java's `SnappyOutputStream`, written by the Java client,
///   kafka-python and aiokafka): the 8-byte magic `0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00`, an int32
///   version, an int32 compatible version, then chunks of [int32 big-endian length][raw snappy
///   block], each block compressing at most 32 KiB of input.
/// - raw snappy: one block, no framing (librdkafka).
///
/// Readers tell them apart by the magic, as the Java client, librdkafka and kafka-python do.
/// Petrel writes the xerial framing, which every client reads.
public enum Snappy {
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    /// Magic, version and compatible version.
    static let xerialHeaderSize = 16
    /// Input bytes per xerial chunk (snappy-java's default block size).
    public static let xerialChunkSize = 32 * 1024

    /// One raw snappy block.
    public static func compressRaw<C: Collection<UInt8>>(_ bytes: C) throws(RecordsError) -> [UInt8] {
        try withContiguousBytes(of: bytes) { (input) throws(RecordsError) -> [UInt8] in
            var out: [UInt8] = []
            try appendRawBlock(input, to: &out)
            return out
        }
    }

    /// The xerial stream snappy-java writes: header, then one block per `chunkSize` input bytes.
    public static func compressXerial<C: Collection<UInt8>>(
        _ bytes: C, chunkSize: Int = xerialChunkSize
    ) throws(RecordsError) -> [UInt8] {
        try withContiguousBytes(of: bytes) { (input) throws(RecordsError) -> [UInt8] in
            try compressXerial(input, chunkSize: chunkSize)
        }
    }

    static func compressXerial(_ input: UnsafeRawBufferPointer, chunkSize: Int = xerialChunkSize) throws(RecordsError) -> [UInt8] {
        let chunk = max(1, chunkSize)
        var out = xerialMagic
        out.reserveCapacity(xerialHeaderSize + input.count + input.count / 6 + 64)
        appendInt32(1, to: &out)  // version
        appendInt32(1, to: &out)  // compatible version
        var start = 0
        while start < input.count {
            let end = min(input.count, start + chunk)
            let lengthIndex = out.count
            appendInt32(0, to: &out)
            try appendRawBlock(UnsafeRawBufferPointer(rebasing: input[start..<end]), to: &out)
            let blockLength = UInt32(truncatingIfNeeded: out.count - lengthIndex - 4)
            out[lengthIndex] = UInt8(truncatingIfNeeded: blockLength >> 24)
            out[lengthIndex + 1] = UInt8(truncatingIfNeeded: blockLength >> 16)
            out[lengthIndex + 2] = UInt8(truncatingIfNeeded: blockLength >> 8)
            out[lengthIndex + 3] = UInt8(truncatingIfNeeded: blockLength)
            start = end
        }
        return out
    }

    /// Decodes xerial-framed or raw snappy, whichever `bytes` holds.
    public static func decompress<C: Collection<UInt8>>(_ bytes: C, maxOutput: Int) throws(RecordsError) -> [UInt8] {
        try withContiguousBytes(of: bytes) { (input) throws(RecordsError) -> [UInt8] in
            try decompress(input, maxOutput: maxOutput)
        }
    }

    static func decompress(_ input: UnsafeRawBufferPointer, maxOutput: Int) throws(RecordsError) -> [UInt8] {
        var out: [UInt8] = []
        if isXerial(input, at: 0) {
            var position = xerialHeaderSize
            while position < input.count {
                // snappy-java reads on through a second stream's header.
                if isXerial(input, at: position) {
                    position += xerialHeaderSize
                    continue
                }
                guard input.count - position >= 4 else {
                    throw RecordsError.decompressionFailed(codec: .snappy, detail: "truncated xerial chunk length")
                }
                let length = Int(Int32(bitPattern: input.loadBigEndian(at: position, as: UInt32.self)))
                position += 4
                guard length >= 0, length <= input.count - position else {
                    throw RecordsError.decompressionFailed(
                        codec: .snappy, detail: "xerial chunk of \(length) bytes with \(input.count - position) left")
                }
                let block = UnsafeRawBufferPointer(rebasing: input[position..<(position + length)])
                try appendDecodedBlock(block, to: &out, maxOutput: maxOutput)
                position += length
            }
        } else {
            try appendDecodedBlock(input, to: &out, maxOutput: maxOutput)
        }
        return out
    }

    static func isXerial(_ input: UnsafeRawBufferPointer, at position: Int) -> Bool {
        guard input.count - position >= xerialHeaderSize else { return false }
        for i in 0..<xerialMagic.count where input[position + i] != xerialMagic[i] { return false }
        return true
    }

    private static func appendInt32(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value >> 24))
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value))
    }

    private static func appendRawBlock(_ input: UnsafeRawBufferPointer, to out: inout [UInt8]) throws(RecordsError) {
        let start = out.count
        let bound = snappy_max_compressed_length(input.count)
        out.append(contentsOf: repeatElement(0, count: bound))
        var length = bound
        let status = out.withUnsafeMutableBytes { all -> snappy_status in
            // snappy reads through the pointer even for empty input: give it a valid one.
            let empty: UInt8 = 0
            return withUnsafePointer(to: empty) { emptyPointer in
                let source = input.baseAddress ?? UnsafeRawPointer(emptyPointer)
                guard let target = all.baseAddress else { return SNAPPY_BUFFER_TOO_SMALL }
                return snappy_compress(
                    source.assumingMemoryBound(to: CChar.self), input.count,
                    (target + start).assumingMemoryBound(to: CChar.self), &length)
            }
        }
        guard status == SNAPPY_OK else {
            throw RecordsError.compressionFailed(codec: .snappy, detail: "snappy_compress returned \(status.rawValue)")
        }
        out.removeSubrange((start + length)...)
    }

    /// Decodes one raw block onto `out`, checking its declared size against what the cap leaves
    /// before allocating anything.
    private static func appendDecodedBlock(
        _ block: UnsafeRawBufferPointer, to out: inout [UInt8], maxOutput: Int
    ) throws(RecordsError) {
        guard let source = block.baseAddress?.assumingMemoryBound(to: CChar.self), block.count > 0 else {
            throw RecordsError.decompressionFailed(codec: .snappy, detail: "empty snappy block")
        }
        var length = 0
        guard snappy_uncompressed_length(source, block.count, &length) == SNAPPY_OK else {
            throw RecordsError.decompressionFailed(codec: .snappy, detail: "bad snappy block header")
        }
        guard length <= maxOutput - out.count else {
            throw RecordsError.decompressedTooLarge(codec: .snappy, limit: maxOutput)
        }
        guard length > 0 else {
            // A block that encodes nothing is valid only as that one-byte preamble.
            guard block.count == 1 else {
                throw RecordsError.decompressionFailed(codec: .snappy, detail: "bytes after an empty snappy block")
            }
            return
        }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: length))
        var produced = length
        let status = out.withUnsafeMutableBytes { all -> snappy_status in
            guard let target = all.baseAddress else { return SNAPPY_BUFFER_TOO_SMALL }
            return snappy_uncompress(source, block.count, (target + start).assumingMemoryBound(to: CChar.self), &produced)
        }
        guard status == SNAPPY_OK, produced == length else {
            out.removeSubrange(start...)
            throw RecordsError.decompressionFailed(codec: .snappy, detail: "corrupt snappy block")
        }
    }
}
