import Testing
@testable import KafkaRecords

@Suite struct CompressionTests {
    static let codecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]
    static let sizes = [0, 1, 100 * 1024, 1 << 20]

    @Test(arguments: codecs)
    func roundTripsRandomAndCompressibleData(codec: CompressionCodec) throws {
        for size in Self.sizes {
            for (kind, data) in [("random", randomBytes(size, seed: UInt64(size) + 1)), ("text", compressibleBytes(size, seed: 3))] {
                let packed = try Compression.compress(data, codec: codec)
                let unpacked = try Compression.decompress(packed, codec: codec, maxOutput: 2 << 20)
                #expect(unpacked == data, "\(codec) \(kind) \(size) bytes")
                if kind == "text" && size >= 100 * 1024 {
                    #expect(packed.count < data.count / 2, "\(codec) should compress text: \(packed.count) of \(size)")
                }
            }
        }
    }

    @Test func noneIsIdentityAndCapped() throws {
        let data = randomBytes(100, seed: 1)
        #expect(try Compression.compress(data, codec: .none) == data)
        #expect(try Compression.decompress(data, codec: .none, maxOutput: 100) == data)
        #expect(throws: RecordsError.decompressedTooLarge(codec: .none, limit: 99)) {
            try Compression.decompress(data, codec: .none, maxOutput: 99)
        }
    }

    @Test func gzipIsARealGzipStream() throws {
        let packed = try Compression.compress(bytes("hello"), codec: .gzip)
        #expect(Array(packed.prefix(3)) == [0x1F, 0x8B, 0x08])
        // Two concatenated members read as one stream, as Java's GZIPInputStream does.
        let second = try Compression.compress(bytes(" world"), codec: .gzip)
        #expect(try Compression.decompress(packed + second, codec: .gzip, maxOutput: 100) == bytes("hello world"))
    }

    @Test func gzipLevelsAllDecode() throws {
        let data = compressibleBytes(50_000, seed: 5)
        for level in [1, 6, 9] {
            let packed = try Compression.compress(data, codec: .gzip, level: level)
            #expect(try Compression.decompress(packed, codec: .gzip, maxOutput: data.count) == data)
        }
    }

    @Test func snappyXerialFramingLayout() throws {
        let data = compressibleBytes(100_000, seed: 8)
        let packed = try Compression.compress(data, codec: .snappy)
        #expect(Array(packed.prefix(8)) == [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00])
        #expect(Array(packed[8..<16]) == [0, 0, 0, 1, 0, 0, 0, 1])
        // 100 000 bytes in 32 KiB chunks: 4 chunks, each length-prefixed.
        var position = 16
        var chunks = 0
        while position < packed.count {
            let length = packed[position..<(position + 4)].reduce(0) { $0 << 8 | Int($1) }
            position += 4 + length
            chunks += 1
        }
        #expect(position == packed.count)
        #expect(chunks == 4)
    }

    @Test func snappyDecodesRawAndXerial() throws {
        let data = compressibleBytes(70_000, seed: 11)
        let raw = try Snappy.compressRaw(data)
        #expect(raw.first != 0x82)
        let xerial = try Snappy.compressXerial(data)
        #expect(try Compression.decompress(raw, codec: .snappy, maxOutput: data.count) == data)
        #expect(try Compression.decompress(xerial, codec: .snappy, maxOutput: data.count) == data)
        // Small chunks, and two xerial streams back to back (snappy-java reads both).
        let small = try Snappy.compressXerial(data, chunkSize: 1000)
        #expect(try Snappy.decompress(small, maxOutput: data.count) == data)
        let twice = try Snappy.compressXerial(data[..<100]) + Snappy.compressXerial(data[100...])
        #expect(try Snappy.decompress(twice, maxOutput: data.count) == data)
        // Empty input: raw is the one-byte preamble; xerial is the bare header.
        #expect(try Snappy.decompress(Snappy.compressRaw([UInt8]()), maxOutput: 0) == [])
        #expect(try Snappy.decompress(Snappy.compressXerial([UInt8]()), maxOutput: 0) == [])
    }

    @Test func lz4FrameIsBlockIndependentWith64KiBBlocks() throws {
        for size in [0, 10, 200_000] {
            let packed = try Compression.compress(compressibleBytes(size, seed: 2), codec: .lz4)
            #expect(Array(packed.prefix(4)) == [0x04, 0x22, 0x4D, 0x18])
            let flg = packed[4]
            #expect(flg >> 6 == 0b01, "version 01")
            #expect(flg & 0x20 != 0, "block independence (FLG bit 5)")
            #expect(flg & 0x08 == 0, "no content size")
            #expect(flg & 0x04 == 0, "no content checksum")
            #expect(packed[5] == LZ4Frame.blockDescriptor64KiB, "BD: 64 KiB max block size")
            #expect(packed[6] == LZ4Frame.headerChecksum(descriptor: packed[4..<6]))
        }
    }

    @Test func lz4LegacyHeaderChecksum() throws {
        let data = compressibleBytes(5000, seed: 4)
        let legacy = try LZ4Frame.compress(data, legacyHeaderChecksum: true)
        // Old Kafka hashed the magic too: bytes 0..<6.
        #expect(legacy[6] == UInt8(truncatingIfNeeded: XXHash32.hash(legacy[0..<6]) >> 8))
        #expect(legacy[6] != LZ4Frame.headerChecksum(descriptor: legacy[4..<6]))
        // A strict reader rejects it; the legacy reader repairs it.
        #expect(throws: RecordsError.self) { try Compression.decompress(legacy, codec: .lz4, maxOutput: data.count) }
        #expect(try Compression.decompress(legacy, codec: .lz4, maxOutput: data.count, legacyLZ4HeaderChecksum: true) == data)
        // The legacy reader also accepts a correct frame.
        let correct = try LZ4Frame.compress(data)
        #expect(try LZ4Frame.decompress(correct, maxOutput: data.count, legacyHeaderChecksum: true) == data)
    }

    @Test(arguments: codecs)
    func decompressionCapIsEnforced(codec: CompressionCodec) throws {
        // 4 MiB of zeros compress to a few KiB: a bomb for a 1 MiB cap.
        let bomb = try Compression.compress([UInt8](repeating: 0, count: 4 << 20), codec: codec)
        #expect(bomb.count < 200_000)
        #expect(throws: RecordsError.decompressedTooLarge(codec: codec, limit: 1 << 20)) {
            try Compression.decompress(bomb, codec: codec, maxOutput: 1 << 20)
        }
        // Exactly at the cap is fine; one byte under is not.
        let data = compressibleBytes(10_000, seed: 1)
        let packed = try Compression.compress(data, codec: codec)
        #expect(try Compression.decompress(packed, codec: codec, maxOutput: 10_000) == data)
        #expect(throws: RecordsError.decompressedTooLarge(codec: codec, limit: 9_999)) {
            try Compression.decompress(packed, codec: codec, maxOutput: 9_999)
        }
    }

    @Test(arguments: codecs)
    func garbageAndTruncatedPayloadsThrowTypedErrors(codec: CompressionCodec) throws {
        let data = compressibleBytes(20_000, seed: 6)
        let packed = try Compression.compress(data, codec: codec)
        for cut in [0, 1, 5, packed.count / 2, packed.count - 1] {
            do {
                let out = try Compression.decompress(packed[..<cut], codec: codec, maxOutput: 1 << 20)
                // A cut xerial stream can end on a chunk boundary: then it is a shorter, valid stream.
                #expect(codec == .snappy && data.starts(with: out), "\(codec) cut at \(cut) decoded \(out.count) bytes")
            } catch {
                #expect(error.category == .corruptMessage, "\(codec) cut at \(cut): \(error)")
            }
        }
        for seed in 0..<20 {
            let garbage = randomBytes(1 + seed * 37, seed: UInt64(seed))
            do {
                _ = try Compression.decompress(garbage, codec: codec, maxOutput: 1 << 20)
                // Random bytes are occasionally a valid raw snappy block; the other framings
                // start with a magic number.
                #expect(codec == .snappy, "\(codec) garbage \(seed) decoded")
            } catch {
                #expect(error.category == .corruptMessage, "\(codec) garbage \(seed): \(error)")
            }
        }
    }
}
