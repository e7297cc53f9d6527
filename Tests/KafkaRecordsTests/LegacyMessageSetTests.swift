import Testing
@testable import KafkaRecords

/// One legacy entry assembled from the format description: offset, messageSize, CRC-32 of
/// magic..end, magic, attributes, [timestamp], key, value.
func legacyEntry(
    offset: Int64, magic: Int8, attributes: Int8 = 0, timestamp: Int64 = 0, key: [UInt8]?, value: [UInt8]?
) -> [UInt8] {
    var body: [UInt8] = []
    body.be(magic)
    body.be(attributes)
    if magic == 1 { body.be(timestamp) }
    if let key { body.be(Int32(key.count)); body += key } else { body.be(Int32(-1)) }
    if let value { body.be(Int32(value.count)); body += value } else { body.be(Int32(-1)) }
    var entry: [UInt8] = []
    entry.be(offset)
    entry.be(Int32(4 + body.count))
    entry.be(referenceCRC32(body))
    return entry + body
}

func legacyV0Set() -> [UInt8] {
    legacyEntry(offset: 0, magic: 0, key: bytes("a"), value: bytes("one"))
        + legacyEntry(offset: 1, magic: 0, key: nil, value: bytes("two"))
        + legacyEntry(offset: 2, magic: 0, key: bytes("c"), value: nil)
}

func legacyV1Set() -> [UInt8] {
    legacyEntry(offset: 10, magic: 1, timestamp: 1000, key: bytes("a"), value: bytes("one"))
        + legacyEntry(offset: 11, magic: 1, timestamp: 1001, key: nil, value: bytes("two"))
        + legacyEntry(offset: 12, magic: 1, timestamp: 999, key: bytes("c"), value: nil)
}

/// A compressed wrapper as old producers wrote it. Magic 1: inner offsets 0, 1, 2 and the
/// wrapper at absolute offset 52 (so inner are 50–52). Magic 0: inner absolute 20–22.
func gzipWrapped(magic: Int8, codec: CompressionCodec = .gzip, wrapperAttributes: Int8 = 0, wrapperTimestamp: Int64 = 2000) throws -> [UInt8] {
    let inner: [UInt8]
    let wrapperOffset: Int64
    if magic == 1 {
        inner = legacyEntry(offset: 0, magic: 1, timestamp: 1500, key: bytes("k0"), value: bytes("v0"))
            + legacyEntry(offset: 1, magic: 1, timestamp: 1501, key: nil, value: bytes("v1"))
            + legacyEntry(offset: 2, magic: 1, timestamp: 1502, key: bytes("k2"), value: nil)
        wrapperOffset = 52
    } else {
        inner = legacyEntry(offset: 20, magic: 0, key: bytes("k0"), value: bytes("v0"))
            + legacyEntry(offset: 21, magic: 0, key: nil, value: bytes("v1"))
            + legacyEntry(offset: 22, magic: 0, key: bytes("k2"), value: nil)
        wrapperOffset = 22
    }
    let compressed: [UInt8] = codec == .lz4
        ? try LZ4Frame.compress(inner, legacyHeaderChecksum: magic == 0)
        : try Compression.compress(inner, codec: codec)
    return legacyEntry(
        offset: wrapperOffset, magic: magic, attributes: Int8(codec.rawValue) | wrapperAttributes,
        timestamp: wrapperTimestamp, key: nil, value: compressed)
}

@Suite struct LegacyMessageSetTests {
    @Test func plainV0() throws {
        let messages = try LegacyMessageSet.decode(legacyV0Set())
        #expect(messages.map(\.offset) == [0, 1, 2])
        #expect(messages.map(\.magic) == [0, 0, 0])
        #expect(messages.map(\.key) == [bytes("a"), nil, bytes("c")])
        #expect(messages.map(\.value) == [bytes("one"), bytes("two"), nil])
        #expect(messages.allSatisfy { $0.timestamp == noTimestamp && $0.timestampType == nil })
    }

    @Test func plainV1() throws {
        let messages = try LegacyMessageSet.decode(legacyV1Set())
        #expect(messages.map(\.offset) == [10, 11, 12])
        #expect(messages.map(\.timestamp) == [1000, 1001, 999])
        #expect(messages.allSatisfy { $0.timestampType == .createTime })
        #expect(messages.map(\.key) == [bytes("a"), nil, bytes("c")])
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4])
    func compressedV1WrapperHasRelativeInnerOffsets(codec: CompressionCodec) throws {
        let messages = try LegacyMessageSet.decode(gzipWrapped(magic: 1, codec: codec))
        #expect(messages.map(\.offset) == [50, 51, 52])
        #expect(messages.map(\.timestamp) == [1500, 1501, 1502])
        #expect(messages.map(\.key) == [bytes("k0"), nil, bytes("k2")])
        #expect(messages.map(\.value) == [bytes("v0"), bytes("v1"), nil])
        let shallow = try LegacyMessageSet.decodeShallow(gzipWrapped(magic: 1, codec: codec)[...])
        #expect(shallow.count == 1 && shallow.first?.compression == codec)
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4])
    func compressedV0WrapperHasAbsoluteInnerOffsets(codec: CompressionCodec) throws {
        // lz4 here carries old Kafka's wrong header checksum, which the reader repairs.
        let messages = try LegacyMessageSet.decode(gzipWrapped(magic: 0, codec: codec))
        #expect(messages.map(\.offset) == [20, 21, 22])
        #expect(messages.map(\.value) == [bytes("v0"), bytes("v1"), nil])
    }

    @Test func logAppendTimeWrapperOverridesInnerTimestamps() throws {
        let messages = try LegacyMessageSet.decode(gzipWrapped(magic: 1, wrapperAttributes: 0x08, wrapperTimestamp: 7777))
        #expect(messages.map(\.timestamp) == [7777, 7777, 7777])
        #expect(messages.allSatisfy { $0.timestampType == .logAppendTime })
        let batch = try RecordBatch.decode(LegacyMessageSet.convertToRecordBatch(messages))
        #expect(batch.header.timestampType == .logAppendTime)
        #expect(batch.records.map(\.timestamp) == [7777, 7777, 7777])
    }

    @Test func mixedSetWithTrailingPartialEntry() throws {
        let set = legacyV1Set() + (try gzipWrapped(magic: 1))
        let cut = set + legacyEntry(offset: 53, magic: 1, key: nil, value: bytes("partial")).prefix(20)
        #expect(try LegacyMessageSet.decode(cut).map(\.offset) == [10, 11, 12, 50, 51, 52])
        #expect(throws: RecordsError.self) { try LegacyMessageSet.decode(cut[...], allowPartialTail: false) }
    }

    @Test func corruptLegacyMessagesThrow() throws {
        var set = legacyV0Set()
        set[22] ^= 0xFF  // the first message's key byte
        #expect(throws: RecordsError.self) { try LegacyMessageSet.decode(set) }
        #expect(try LegacyMessageSet.decode(set, verifyCRC: false).count == 3)
        // A wrapper holding a different magic.
        let inner = legacyEntry(offset: 0, magic: 0, key: nil, value: bytes("x"))
        let mismatched = legacyEntry(offset: 0, magic: 1, attributes: 1, key: nil, value: try Compression.compress(inner, codec: .gzip))
        #expect(throws: RecordsError.self) { try LegacyMessageSet.decode(mismatched) }
        // A wrapper with a null value, and one with an empty inner set.
        #expect(throws: RecordsError.self) { try LegacyMessageSet.decode(legacyEntry(offset: 0, magic: 1, attributes: 1, key: nil, value: nil)) }
        let empty = legacyEntry(offset: 0, magic: 1, attributes: 1, key: nil, value: try Compression.compress([UInt8](), codec: .gzip))
        #expect(throws: RecordsError.self) { try LegacyMessageSet.decode(empty) }
        // A messageSize that disagrees with the fields.
        var sized = legacyEntry(offset: 0, magic: 0, key: nil, value: bytes("abc")) + [0]
        sized[11] += 1
        #expect(throws: RecordsError.self) { try LegacyMessageSet.decode(sized, verifyCRC: false) }
    }

    @Test(arguments: [CompressionCodec.none, .gzip, .lz4, .zstd])
    func convertsToAValidV2Batch(codec: CompressionCodec) throws {
        for set in [legacyV0Set(), legacyV1Set(), try gzipWrapped(magic: 1), try gzipWrapped(magic: 0, codec: .lz4)] {
            let messages = try LegacyMessageSet.decode(set)
            let bytes = try LegacyMessageSet.convertToRecordBatch(messages, codec: codec)
            let header = try RecordBatchHeader.validate(bytes, .stored)
            #expect(header.magic == 2)
            #expect(header.compression == codec)
            #expect(header.baseOffset == messages[0].offset)
            #expect(header.lastOffset == messages[messages.count - 1].offset)
            let batch = try RecordBatch.decode(bytes)
            #expect(batch.records.map(\.offset) == messages.map(\.offset))
            #expect(batch.records.map(\.timestamp) == messages.map(\.timestamp))
            #expect(batch.records.map(\.key) == messages.map(\.key))
            #expect(batch.records.map(\.value) == messages.map(\.value))
            #expect(batch.records.allSatisfy { $0.headers.isEmpty })
        }
    }

    @Test func extremeOffsetsDoNotTrap() throws {
        let inner = legacyEntry(offset: -5, magic: 1, key: nil, value: bytes("x"))
        let wrapper = legacyEntry(offset: .max, magic: 1, attributes: 1, key: nil, value: try Compression.compress(inner, codec: .gzip))
        #expect(try LegacyMessageSet.decode(wrapper).count == 1)
        let far = [LegacyMessage(offset: .min, magic: 1, key: nil, value: nil), LegacyMessage(offset: .max, magic: 1, key: nil, value: nil)]
        #expect(throws: RecordsError.self) { try LegacyMessageSet.convertToRecordBatch(far) }
    }
}
