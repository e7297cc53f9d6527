import CZlib

/// gzip (RFC 1952) through zlib: Kafka's codec 1 is a whole gzip stream, header and trailer
/// included, as Java's `GZIPOutputStream` writes it.
enum Gzip {
    /// zlib's windowBits: 15 (32 KiB window) + 16 selects the gzip wrapper.
    static let gzipWindowBits: Int32 = 31
    /// 15 + 32: inflate detects a zlib or gzip header by itself.
    static let autoDetectWindowBits: Int32 = 47

    static func compress(_ input: UnsafeRawBufferPointer, level: Int?) throws(RecordsError) -> [UInt8] {
        guard input.count <= Int(UInt32.max) else {
            throw RecordsError.compressionFailed(codec: .gzip, detail: "input of \(input.count) bytes is too large")
        }
        var stream = z_stream()
        let zlevel = level.map { Int32(clamping: $0) } ?? Z_DEFAULT_COMPRESSION
        let initStatus = deflateInit2_(
            &stream, zlevel, Z_DEFLATED, gzipWindowBits, 8, Z_DEFAULT_STRATEGY,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            throw RecordsError.compressionFailed(codec: .gzip, detail: "deflateInit2 returned \(initStatus)")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let status: Int32 = output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(out.count)
            return deflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END else {
            throw RecordsError.compressionFailed(codec: .gzip, detail: "deflate returned \(status)")
        }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// Inflates one or more concatenated gzip members (Java's `GZIPInputStream` reads on past
    /// the first member too); bytes after the last member that are not a gzip header are
    /// ignored, as Java does.
    static func decompress(_ input: UnsafeRawBufferPointer, maxOutput: Int) throws(RecordsError) -> [UInt8] {
        guard input.count <= Int(UInt32.max) else {
            throw RecordsError.decompressionFailed(codec: .gzip, detail: "input of \(input.count) bytes is too large")
        }
        var stream = z_stream()
        let initStatus = inflateInit2_(
            &stream, autoDetectWindowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            throw RecordsError.decompressionFailed(codec: .gzip, detail: "inflateInit2 returned \(initStatus)")
        }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)

        var output = BoundedOutput(codec: .gzip, limit: maxOutput, expected: min(input.count, 1 << 24) * 4)
        while true {
            try output.makeSpace()
            var status: Int32 = Z_OK
            output.write { out in
                stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
                let space = uInt(clamping: out.count)
                stream.avail_out = space
                status = inflate(&stream, Z_NO_FLUSH)
                return Int(space - stream.avail_out)
            }
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let consumed = input.count - Int(stream.avail_in)
                if stream.avail_in >= 2, input[consumed] == 0x1F, input[consumed + 1] == 0x8B {
                    inflateReset(&stream)
                    continue
                }
                return try output.finish()
            case Z_BUF_ERROR:
                // No progress: either the output is full (grow and go on) or the input ran out
                // before the end of the stream.
                if output.count < output.storage.count {
                    throw RecordsError.decompressionFailed(codec: .gzip, detail: "truncated stream")
                }
                continue
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "inflate returned \(status)"
                throw RecordsError.decompressionFailed(codec: .gzip, detail: message)
            }
        }
    }
}
