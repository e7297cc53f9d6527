import Testing
@testable import KafkaRecords

/// The golden batch, assembled byte by byte from the format description; its CRC was computed
/// independently (kafka-python's crc32c) and is hard-coded.
func goldenBatch() -> [UInt8] {
    var batch: [UInt8] = []
    batch.be(Int64(5))  // baseOffset
    batch.be(Int32(70))  // batchLength: 82 bytes in all - 12
    batch.be(Int32(3))  // partitionLeaderEpoch
    batch.be(Int8(2))  // magic
    batch.be(UInt32(0xF0CD_2113))  // crc
    batch.be(Int16(0))  // attributes
    batch.be(Int32(1))  // lastOffsetDelta
    batch.be(Int64(1000))  // baseTimestamp
    batch.be(Int64(1010))  // maxTimestamp
    batch.be(Int64(7))  // producerId
    batch.be(Int16(1))  // producerEpoch
    batch.be(Int32(4))  // baseSequence
    batch.be(Int32(2))  // recordsCount
    // Record 0: length 9 (zig-zag 18), attributes, timestampDelta 0, offsetDelta 0,
    // key "k" (length 1 -> 2), value "v1" (length 2 -> 4), no headers.
    batch += [0x12, 0x00, 0x00, 0x00, 0x02, 0x6B, 0x04, 0x76, 0x31, 0x00]
    // Record 1: length 10 (20), attributes, timestampDelta 10 (20), offsetDelta 1 (2),
    // null key (-1 -> 1), value "x", one header "h" with a null value.
    batch += [0x14, 0x00, 0x14, 0x02, 0x01, 0x02, 0x78, 0x02, 0x02, 0x68, 0x01]
    return batch
}

@Suite struct RecordBatchTests {
    @Test func goldenBatchDecodes() throws {
        let golden = goldenBatch()
        #expect(golden.count == 82)
        #expect(referenceCRC32C(Array(golden[21...])) == 0xF0CD_2113)
        let header = try RecordBatchHeader.validate(golden, .stored)
        #expect(header.baseOffset == 5)
        #expect(header.batchLength == 70)
        #expect(header.totalSize == 82)
        #expect(header.partitionLeaderEpoch == 3)
        #expect(header.magic == 2)
        #expect(header.crc == 0xF0CD_2113)
        #expect(header.compression == CompressionCodec.none)
        #expect(header.timestampType == .createTime)
        #expect(!header.isTransactional && !header.isControl && !header.hasDeleteHorizon)
        #expect(header.lastOffsetDelta == 1)
        #expect(header.lastOffset == 6)
        #expect(header.baseTimestamp == 1000)
        #expect(header.maxTimestamp == 1010)
        #expect(header.producerId == 7)
        #expect(header.producerEpoch == 1)
        #expect(header.baseSequence == 4)
        #expect(header.lastSequence == 5)
        #expect(header.recordsCount == 2)

        let batch = try RecordBatch.decode(golden)
        #expect(batch.records == [
            Record(offset: 5, timestamp: 1000, key: bytes("k"), value: bytes("v1")),
            Record(offset: 6, timestamp: 1010, key: nil, value: bytes("x"), headers: [RecordHeader(key: "h", value: nil)]),
        ])
    }

    @Test func builderReproducesTheGoldenBatch() throws {
        var builder = RecordBatchBuilder(
            baseOffset: 5, partitionLeaderEpoch: 3, producerId: 7, producerEpoch: 1, baseSequence: 4)
        builder.append(key: bytes("k"), value: bytes("v1"), timestamp: 1000)
        builder.append(key: nil, value: bytes("x"), headers: [RecordHeader(key: "h", value: nil)], timestamp: 1010)
        #expect(try builder.build() == goldenBatch())
    }

    @Test(arguments: CompressionCodec.allCases)
    func buildDecodeRoundTrip(codec: CompressionCodec) throws {
        var builder = RecordBatchBuilder(
            baseOffset: 0, codec: codec, isTransactional: true, producerId: 99, producerEpoch: 3, baseSequence: 17)
        var expected: [Record] = []
        for i in 0..<500 {
            let key: [UInt8]? = i % 10 == 0 ? nil : bytes("key-\(i % 37)")
            let value: [UInt8]? = i % 13 == 0 ? nil : compressibleBytes(50 + i % 200, seed: UInt64(i))
            var headers: [RecordHeader] = []
            if i % 4 == 0 { headers = [RecordHeader(key: "trace", value: bytes("\(i)")), RecordHeader(key: "ü-null", value: nil)] }
            // Out-of-order timestamps: maxTimestamp must be the largest, not the last.
            let timestamp = 1_700_000_000_000 + Int64((i * 7919) % 1000)
            builder.append(key: key, value: value, headers: headers, timestamp: timestamp)
            expected.append(Record(offset: Int64(i), timestamp: timestamp, key: key, value: value, headers: headers))
        }
        let bytes = try builder.build()
        let header = try RecordBatchHeader.validate(bytes, .produce)
        #expect(header.compression == codec)
        #expect(header.recordsCount == 500)
        #expect(header.lastOffsetDelta == 499)
        #expect(header.isTransactional)
        #expect(header.producerId == 99 && header.producerEpoch == 3 && header.baseSequence == 17)
        #expect(header.baseTimestamp == expected[0].timestamp)
        #expect(header.maxTimestamp == expected.map(\.timestamp).max())
        if codec != .none { #expect(header.totalSize < 500 * 100, "\(codec) should shrink the records") }
        let decoded = try RecordBatch.decode(bytes)
        #expect(decoded.header == header)
        #expect(decoded.records == expected)
    }

    @Test func logAppendTimeGivesEveryRecordTheMaxTimestamp() throws {
        var builder = RecordBatchBuilder(timestampType: .logAppendTime, logAppendTime: 5555)
        builder.append(key: nil, value: bytes("a"), timestamp: 1)
        builder.append(key: nil, value: bytes("b"), timestamp: 2)
        let batch = try RecordBatch.decode(builder.build())
        #expect(batch.header.timestampType == .logAppendTime)
        #expect(batch.header.maxTimestamp == 5555)
        #expect(batch.records.map(\.timestamp) == [5555, 5555])
    }

    @Test func explicitOffsetsAndSparseDeltas() throws {
        var builder = RecordBatchBuilder(baseOffset: 100)
        try builder.append(Record(offset: 100, timestamp: 1, key: nil, value: bytes("a")))
        try builder.append(Record(offset: 105, timestamp: 2, key: nil, value: bytes("b")))
        #expect(throws: RecordsError.self) { try builder.append(Record(offset: 105, key: nil, value: nil)) }
        let bytes = try builder.build()
        // A compacted-looking batch: fine as stored data, refused from a producer.
        let header = try RecordBatchHeader.validate(bytes, .stored)
        #expect(header.lastOffsetDelta == 5 && header.recordsCount == 2)
        #expect(throws: RecordsError.invalidLastOffsetDelta(5, recordsCount: 2)) {
            try RecordBatchHeader.validate(bytes, RecordBatchValidation(requireZeroBaseOffset: false, requireDenseOffsets: true))
        }
        #expect(throws: RecordsError.nonZeroBaseOffset(100)) { try RecordBatchHeader.validate(bytes, .produce) }
        #expect(try RecordBatch.decode(bytes).records.map(\.offset) == [100, 105])
    }

    @Test func builderRefusesWhatItCannotEncode() {
        #expect(throws: RecordsError.self) { try RecordBatchBuilder().build() }
        var builder = RecordBatchBuilder(baseOffset: 0)
        #expect(throws: Never.self) { try builder.append(Record(offset: Int64(Int32.max) + 1, key: nil, value: nil)) }
        #expect(throws: RecordsError.self) { try builder.build() }
    }

    @Test func inPlacePatchesKeepTheCRCValid() throws {
        var batch = try sampleBatch(codec: .lz4)
        let before = try RecordBatchHeader.validate(batch)
        try RecordBatchHeader.setBaseOffset(1_234_567, in: &batch)
        try RecordBatchHeader.setPartitionLeaderEpoch(42, in: &batch)
        var header = try RecordBatchHeader.validate(batch)
        #expect(header.baseOffset == 1_234_567)
        #expect(header.partitionLeaderEpoch == 42)
        #expect(header.crc == before.crc, "baseOffset and epoch are outside the CRC")
        #expect(try RecordBatch.decode(batch).records.first?.offset == 1_234_567)

        try RecordBatchHeader.setMaxTimestamp(9_999, timestampType: .logAppendTime, in: &batch)
        header = try RecordBatchHeader.validate(batch)
        #expect(header.maxTimestamp == 9_999)
        #expect(header.timestampType == .logAppendTime)
        #expect(header.compression == .lz4, "the other attribute bits survive")
        #expect(header.crc != before.crc)
        #expect(try RecordBatch.decode(batch).records.allSatisfy { $0.timestamp == 9_999 })

        // A batch in the middle of a larger buffer.
        var blob = try sampleBatch(codec: .none) + sampleBatch(codec: .gzip)
        let second = try RecordBatchHeader.validate(blob).totalSize
        try RecordBatchHeader.setBaseOffset(77, in: &blob, at: second)
        #expect(try RecordBatchHeader.validate(blob[second...]).baseOffset == 77)
        #expect(try RecordBatchHeader.validate(blob).baseOffset == 0)
        // Out-of-range positions throw.
        #expect(throws: RecordsError.self) { try RecordBatchHeader.setBaseOffset(1, in: &blob, at: blob.count - 10) }
        #expect(throws: RecordsError.self) { try RecordBatchHeader.setBaseOffset(1, in: &blob, at: blob.count + 1) }
    }

    @Test func controlBatchForTransactionMarkers() throws {
        let bytes = try RecordBatchBuilder.endTransactionMarker(
            commit: true, producerId: 5, producerEpoch: 2, coordinatorEpoch: 11, timestamp: 123)
        let batch = try RecordBatch.decode(bytes)
        #expect(batch.header.isControl && batch.header.isTransactional)
        #expect(batch.header.producerId == 5 && batch.header.producerEpoch == 2)
        #expect(batch.records.count == 1)
        let record = try #require(batch.records.first)
        #expect(record.key == [0, 0, 0, 1])
        #expect(try ControlRecordKey(decoding: record.key ?? []).type == .commit)
        #expect(record.value == [0, 0, 0, 0, 0, 11])
        #expect(try EndTransactionMarker(decoding: record.value ?? []).coordinatorEpoch == 11)
        #expect(throws: RecordsError.self) { try ControlRecordKey(decoding: [0, 0, 1]) }
        #expect(try ControlRecordKey(decoding: [0, 0, 0, 0]).type == .abort)
    }
}
