import Testing
@testable import KafkaRecords

/// Each kind of damage yields its own typed error.
@Suite struct RecordBatchErrorTests {
    @Test func corruptCRC() throws {
        var batch = goldenBatch()
        batch[70] ^= 0x01
        #expect(throws: RecordsError.crcMismatch(stored: 0xF0CD_2113, computed: referenceCRC32C(Array(batch[21...])))) {
            try RecordBatchHeader.validate(batch)
        }
        #expect(throws: RecordsError.self) { try RecordBatch.decode(batch) }
        #expect(try RecordBatchHeader.validate(batch, RecordBatchValidation(requireZeroBaseOffset: false, requireDenseOffsets: false, verifyCRC: false)).crc == 0xF0CD_2113)
        #expect(RecordsError.crcMismatch(stored: 1, computed: 2).category == .corruptMessage)
    }

    @Test func truncatedBatch() {
        let batch = goldenBatch()
        #expect(throws: RecordsError.truncatedHeader(needed: 61, available: 60)) { try RecordBatchHeader.validate(batch[..<60]) }
        #expect(throws: RecordsError.invalidBatchLength(70, available: 81)) { try RecordBatchHeader.validate(batch[..<81]) }
        #expect(throws: RecordsError.self) { try RecordBatch.decode(Array(batch[..<81])) }
    }

    @Test func batchLengthOverflowAndUnderflow() {
        var batch = goldenBatch()
        batch.replaceSubrange(8..<12, with: [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: RecordsError.invalidBatchLength(Int32.max, available: 82)) { try RecordBatchHeader.validate(batch) }
        batch.replaceSubrange(8..<12, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: RecordsError.invalidBatchLength(-1, available: 82)) { try RecordBatchHeader.validate(batch) }
        batch.replaceSubrange(8..<12, with: [0, 0, 0, 48])
        #expect(throws: RecordsError.invalidBatchLength(48, available: 82)) { try RecordBatchHeader.validate(batch) }
    }

    @Test func badMagicAndCodec() throws {
        var batch = goldenBatch()
        batch[16] = 3
        #expect(throws: RecordsError.unsupportedMagic(3)) { try RecordBatchHeader.validate(batch) }
        batch = goldenBatch()
        batch[22] = 0x05  // compression 5
        #expect(throws: RecordsError.unknownCompression(5)) { try RecordBatchHeader.validate(batch) }
        #expect(RecordsError.unknownCompression(5).category == .unsupportedCompression)
    }

    /// Rewrites a field of the golden batch and fixes its CRC, so the later checks are reached.
    func golden(patching offset: Int, with newBytes: [UInt8]) -> [UInt8] {
        golden(patches: [(offset, newBytes)])
    }

    func golden(patches: [(Int, [UInt8])]) -> [UInt8] {
        var batch = goldenBatch()
        for (offset, newBytes) in patches { batch.replaceSubrange(offset..<(offset + newBytes.count), with: newBytes) }
        let crc = referenceCRC32C(Array(batch[21...]))
        batch.replaceSubrange(17..<21, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * $0)) })
        return batch
    }

    @Test func negativeCountsAndLengths() {
        let negativeCount = golden(patching: 57, with: [0xFF, 0xFF, 0xFF, 0xFE])
        #expect(throws: RecordsError.invalidRecordsCount(-2)) { try RecordBatchHeader.validate(negativeCount) }
        #expect(RecordsError.invalidRecordsCount(-2).category == .invalidRecord)
        // More records declared than present.
        let tooMany = golden(patching: 57, with: [0, 0, 0, 3])
        #expect(throws: RecordsError.self) { try RecordBatch.decode(tooMany) }
        // Fewer declared than present: bytes left over.
        let tooFew = golden(patches: [(23, [0, 0, 0, 0]), (57, [0, 0, 0, 1])])
        #expect(throws: RecordsError.recordCountMismatch(declared: 1, detail: "11 bytes left after the last record")) {
            try RecordBatch.decode(tooFew)
        }
        // A key length of -2 inside record 0 (zig-zag 3).
        let badKey = golden(patching: 65, with: [0x03])
        #expect(throws: RecordsError.invalidRecord(index: 0, detail: "negative length -2")) { try RecordBatch.decode(badKey) }
        // A record length running past the batch.
        let longRecord = golden(patching: 61, with: [0x7E])
        #expect(throws: RecordsError.self) { try RecordBatch.decode(longRecord) }
        // A negative record length.
        let negativeRecord = golden(patching: 61, with: [0x01])
        #expect(throws: RecordsError.invalidRecord(index: 0, detail: "negative length -1")) { try RecordBatch.decode(negativeRecord) }
        // A huge records count is refused before anything is reserved for it.
        let huge = golden(patching: 57, with: [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: RecordsError.self) { try RecordBatch.decode(huge) }
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4, .zstd])
    func garbageCompressedPayload(codec: CompressionCodec) throws {
        var batch = try sampleBatch(codec: codec)
        for i in RecordBatchHeader.size..<batch.count where i % 3 == 0 { batch[i] = UInt8(truncatingIfNeeded: i &* 31) }
        let crc = CRC32C.checksum(batch[21...])
        batch.replaceSubrange(17..<21, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * $0)) })
        #expect(throws: RecordsError.self) { try RecordBatch.decode(batch) }
        do {
            _ = try RecordBatch.decode(batch)
        } catch {
            #expect(error.category == .corruptMessage, "\(error)")
        }
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4, .zstd])
    func compressedBombIsCapped(codec: CompressionCodec) throws {
        var builder = RecordBatchBuilder(codec: codec)
        builder.append(key: nil, value: [UInt8](repeating: 0, count: 2 << 20), timestamp: 0)
        let batch = try builder.build()
        #expect(batch.count < 200_000)
        #expect(throws: RecordsError.decompressedTooLarge(codec: codec, limit: 1 << 20)) {
            try RecordBatch.decode(batch, maxUncompressedBytes: 1 << 20)
        }
        #expect(try RecordBatch.decode(batch, maxUncompressedBytes: 3 << 20).records.count == 1)
    }
}
