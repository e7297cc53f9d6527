import CLZ4

/// LZ4 in the standard frame format (magic 0x184D2204), Kafka's codec 3.
///
/// Petrel writes what Kafka's Java client writes: block-independent frames (the Java reader
/// rejects linked blocks with "Dependent block stream is unsupported"), 64 KiB maximum block
/// size, no content size, no content checksum. It reads any valid frame.
///
/// Magic 0 quirk: Kafka before 0.10 computed the frame's header-checksum byte over the 4 magic
/// bytes as well as the descriptor. The Java reader skips the check for magic 0 and librdkafka
/// writes the wrong byte for magic 0, so with `legacyHeaderChecksum` the reader recomputes the
/// correct byte before handing the frame to liblz4, and the writer produces the old one.
public enum LZ4Frame {
    static let magic: [UInt8] = [0x04, 0x22, 0x4D, 0x18]
    /// FLG bit 5: blocks are independent.
    public static let blockIndependenceFlag: UInt8 = 0x20
    /// BD value for a 64 KiB maximum block size (block size id 4 in bits 4–6).
    public static let blockDescriptor64KiB: UInt8 = 0x40

    public static func compress<C: Collection<UInt8>>(
        _ bytes: C, level: Int? = nil, legacyHeaderChecksum: Bool = false
    ) throws(RecordsError) -> [UInt8] {
        try withContiguousBytes(of: bytes) { (input) throws(RecordsError) -> [UInt8] in
            try compress(input, level: level, legacyHeaderChecksum: legacyHeaderChecksum)
        }
    }

    public static func decompress<C: Collection<UInt8>>(
        _ bytes: C, maxOutput: Int, legacyHeaderChecksum: Bool = false
    ) throws(RecordsError) -> [UInt8] {
        try withContiguousBytes(of: bytes) { (input) throws(RecordsError) -> [UInt8] in
            try decompress(input, maxOutput: maxOutput, legacyHeaderChecksum: legacyHeaderChecksum)
        }
    }

    static func compress(
        _ input: UnsafeRawBufferPointer, level: Int?, legacyHeaderChecksum: Bool = false
    ) throws(RecordsError) -> [UInt8] {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum
        preferences.frameInfo.contentSize = 0
        preferences.compressionLevel = Int32(clamping: level ?? 0)
        let bound = LZ4F_compressFrameBound(input.count, &preferences)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out -> Int in
            let empty: UInt8 = 0
            return withUnsafePointer(to: empty) { emptyPointer in
                LZ4F_compressFrame(
                    out.baseAddress, out.count, input.baseAddress ?? UnsafeRawPointer(emptyPointer),
                    input.count, &preferences)
            }
        }
        if LZ4F_isError(written) != 0 {
            throw RecordsError.compressionFailed(codec: .lz4, detail: errorName(written))
        }
        output.removeSubrange(written...)
        if legacyHeaderChecksum, let checksumIndex = headerChecksumIndex(output) {
            output[checksumIndex] = UInt8(truncatingIfNeeded: XXHash32.hash(output[0..<checksumIndex]) >> 8)
        }
        return output
    }

    static func decompress(
        _ input: UnsafeRawBufferPointer, maxOutput: Int, legacyHeaderChecksum: Bool
    ) throws(RecordsError) -> [UInt8] {
        if legacyHeaderChecksum, let checksumIndex = headerChecksumIndex(input) {
            var fixed = Array(input)
            fixed[checksumIndex] = headerChecksum(descriptor: fixed[4..<checksumIndex])
            return try withContiguousBytes(of: fixed) { (repaired) throws(RecordsError) -> [UInt8] in
                try decompressFrames(repaired, maxOutput: maxOutput)
            }
        }
        return try decompressFrames(input, maxOutput: maxOutput)
    }

    /// The correct header-checksum byte: the second byte of xxHash32 (seed 0) of the frame
    /// descriptor, FLG through the last optional field.
    public static func headerChecksum<C: Collection<UInt8>>(descriptor: C) -> UInt8 {
        UInt8(truncatingIfNeeded: XXHash32.hash(descriptor) >> 8)
    }

    /// Where the header-checksum byte of a frame at the start of `bytes` is, or nil if the bytes
    /// do not start with an LZ4 frame header.
    static func headerChecksumIndex<C: Collection<UInt8>>(_ bytes: C) -> Int? where C.Index == Int {
        let start = bytes.startIndex
        guard bytes.count >= 7 else { return nil }
        for i in 0..<4 where bytes[start + i] != magic[i] { return nil }
        let flg = bytes[start + 4]
        var index = 6
        if flg & 0x08 != 0 { index += 8 }  // content size
        if flg & 0x01 != 0 { index += 4 }  // dictionary id
        return index < bytes.count ? start + index : nil
    }

    private static func decompressFrames(_ input: UnsafeRawBufferPointer, maxOutput: Int) throws(RecordsError) -> [UInt8] {
        guard input.count > 0, let inputBase = input.baseAddress else {
            throw RecordsError.decompressionFailed(codec: .lz4, detail: "empty input")
        }
        var context: OpaquePointer?
        let created = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(created) == 0, let context else {
            throw RecordsError.decompressionFailed(codec: .lz4, detail: "cannot create a context")
        }
        defer { LZ4F_freeDecompressionContext(context) }

        var output = BoundedOutput(codec: .lz4, limit: maxOutput, expected: min(input.count, 1 << 24) * 4)
        var position = 0
        var hint = 1
        while true {
            try output.makeSpace()
            var consumed = input.count - position
            let before = output.count
            output.write { out in
                var produced = out.count
                hint = LZ4F_decompress(context, out.baseAddress, &produced, inputBase + position, &consumed, nil)
                return LZ4F_isError(hint) != 0 ? 0 : produced
            }
            if LZ4F_isError(hint) != 0 {
                throw RecordsError.decompressionFailed(codec: .lz4, detail: errorName(hint))
            }
            position += consumed
            // 0 means the frame is decoded and flushed; more input may hold another frame.
            if hint == 0 && position == input.count { return try output.finish() }
            // Output space left over means liblz4 could go no further with the input it had.
            let outputFull = output.count == output.storage.count
            if !outputFull && (position == input.count || (consumed == 0 && output.count == before)) {
                throw RecordsError.decompressionFailed(codec: .lz4, detail: "truncated frame")
            }
        }
    }

    private static func errorName(_ code: Int) -> String {
        guard let name = LZ4F_getErrorName(code) else { return "error \(code)" }
        return String(cString: name)
    }
}
