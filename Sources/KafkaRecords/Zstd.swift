import CZstd

/// Zstandard, Kafka's codec 4 (Produce v7+ / Fetch v10+): a standard zstd frame.
///
/// Producers stream their frames, so the content size is often absent from the frame header;
/// the reader therefore streams too and never trusts a declared size. The decoder's window is
/// limited to what the output cap could ever need (at least 1 MiB, at most zstd's default
/// limit of 128 MiB), so a frame header cannot make it reserve more memory than the caller allows.
enum Zstd {
    /// Kafka's default `compression.zstd.level`.
    static let defaultLevel: Int32 = 3
    /// ZSTD_CONTENTSIZE_ERROR (0ULL - 2); ZSTD_CONTENTSIZE_UNKNOWN is the one value above it.
    /// Macros of that form do not import into Swift.
    static let contentSizeError: UInt64 = .max - 1
    /// zstd returns error n as (size_t)-n; ZSTD_error_frameParameter_windowTooLarge is 16 in
    /// zstd_errors.h, whose numbers are stable across versions.
    static let windowTooLargeError = -16

    static func compress(_ input: UnsafeRawBufferPointer, level: Int?) throws(RecordsError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let zlevel = level.map { Int32(clamping: $0) } ?? defaultLevel
        let written = output.withUnsafeMutableBytes { out -> Int in
            ZSTD_compress(out.baseAddress, out.count, input.baseAddress, input.count, zlevel)
        }
        if ZSTD_isError(written) != 0 {
            throw RecordsError.compressionFailed(codec: .zstd, detail: errorName(written))
        }
        output.removeSubrange(written...)
        return output
    }

    static func decompress(_ input: UnsafeRawBufferPointer, maxOutput: Int) throws(RecordsError) -> [UInt8] {
        guard input.count > 0 else {
            throw RecordsError.decompressionFailed(codec: .zstd, detail: "empty input")
        }
        guard let stream = ZSTD_createDStream() else {
            throw RecordsError.decompressionFailed(codec: .zstd, detail: "cannot create a stream")
        }
        defer { ZSTD_freeDStream(stream) }
        // A frame that declares its size is refused up front when that size is over the cap.
        let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        if declared < contentSizeError && declared > UInt64(max(0, maxOutput)) {
            throw RecordsError.decompressedTooLarge(codec: .zstd, limit: maxOutput)
        }
        var windowLog: Int32 = 20
        while windowLog < 27 && (1 << windowLog) < maxOutput { windowLog += 1 }
        _ = ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, windowLog)

        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var output = BoundedOutput(codec: .zstd, limit: maxOutput, expected: min(input.count, 1 << 24) * 4)
        while true {
            try output.makeSpace()
            var hint = 0
            let consumedBefore = source.pos
            let producedBefore = output.count
            output.write { out in
                var target = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                hint = ZSTD_decompressStream(stream, &target, &source)
                return ZSTD_isError(hint) != 0 ? 0 : target.pos
            }
            if ZSTD_isError(hint) != 0 {
                // A window past the limit derived from the cap: the frame wants more memory
                // than the caller allows output.
                if hint == windowTooLargeError {
                    throw RecordsError.decompressedTooLarge(codec: .zstd, limit: maxOutput)
                }
                throw RecordsError.decompressionFailed(codec: .zstd, detail: errorName(hint))
            }
            // 0: a frame ended and is flushed; input left over is the next frame.
            if hint == 0 && source.pos == source.size { return try output.finish() }
            let outputFull = output.count == output.storage.count
            let stalled = source.pos == consumedBefore && output.count == producedBefore
            if !outputFull && (source.pos == source.size || stalled) {
                throw RecordsError.decompressionFailed(codec: .zstd, detail: "truncated frame")
            }
        }
    }

    private static func errorName(_ code: Int) -> String {
        guard let name = ZSTD_getErrorName(code) else { return "error \(code)" }
        return String(cString: name)
    }
}
