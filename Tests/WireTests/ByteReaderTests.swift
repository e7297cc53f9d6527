import Testing

@testable import Wire

@Suite struct VarintTests {
    @Test(arguments: [0, 1, 127, 128, 300, 16383, 16384, UInt32.max >> 1, UInt32.max])
    func unsignedVarintRoundTrip(value: UInt32) throws {
        var w = ByteWriter()
        w.writeUnsignedVarint(value)
        #expect(w.bytes.count == ZigZag.unsignedVarintSize(UInt64(value)))
        var r = ByteReader(w.bytes)
        #expect(try r.readUnsignedVarint() == value)
        #expect(r.isAtEnd)
    }

    @Test func knownEncodings() throws {
        var w = ByteWriter()
        w.writeUnsignedVarint(300)
        #expect(w.bytes == [0xAC, 0x02])
        w = ByteWriter()
        w.writeVarint(-1)
        #expect(w.bytes == [0x01])
        w = ByteWriter()
        w.writeVarlong(Int64.min)
        #expect(w.bytes == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    }

    @Test(arguments: [Int32.min, -65, -1, 0, 1, 63, 64, Int32.max])
    func zigzag32(value: Int32) throws {
        #expect(ZigZag.decode(ZigZag.encode(value)) == value)
        var w = ByteWriter()
        w.writeVarint(value)
        var r = ByteReader(w.bytes)
        #expect(try r.readVarint() == value)
    }

    @Test(arguments: [Int64.min, -1, 0, 1, Int64.max])
    func zigzag64(value: Int64) throws {
        var w = ByteWriter()
        w.writeVarlong(value)
        var r = ByteReader(w.bytes)
        #expect(try r.readVarlong() == value)
    }

    @Test func overlongVarintsAreRejected() {
        var r = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: WireError.malformedVarint) { _ = try r.readUnsignedVarint() }
        var r2 = ByteReader([UInt8](repeating: 0xFF, count: 11))
        #expect(throws: WireError.malformedVarint) { _ = try r2.readUnsignedVarlong() }
        var r3 = ByteReader([0x80, 0x80])
        #expect(throws: WireError.truncated(needed: 1, remaining: 0)) { _ = try r3.readUnsignedVarint() }
    }
}

@Suite struct ByteReaderTests {
    @Test func fixedWidthBigEndian() throws {
        var r = ByteReader([0x01, 0x02, 0xFF, 0xFE, 0x00, 0x00, 0x00, 0x2A, 0x80])
        #expect(try r.readInt16() == 0x0102)
        #expect(try r.readInt16() == -2)
        #expect(try r.readInt32() == 42)
        #expect(throws: WireError.truncated(needed: 2, remaining: 1)) { _ = try r.readInt16() }
        #expect(try r.readInt8() == -128)
        #expect(r.isAtEnd)
    }

    @Test func stringsCompactAndClassic() throws {
        var w = ByteWriter()
        try w.writeString("kafka", compact: false)
        try w.writeNullableString(nil, compact: false)
        try w.writeString("é", compact: true)
        try w.writeNullableString(nil, compact: true)
        #expect(w.bytes == [0, 5] + Array("kafka".utf8) + [0xFF, 0xFF] + [3, 0xC3, 0xA9] + [0])
        var r = ByteReader(w.bytes)
        #expect(try r.readString(compact: false) == "kafka")
        #expect(try r.readNullableString(compact: false) == nil)
        #expect(try r.readString(compact: true) == "é")
        #expect(throws: WireError.unexpectedNull(field: "string")) { _ = try r.readString(compact: true) }
    }

    @Test func lengthsAreCheckedBeforeAllocation() {
        // An array claiming 2^31-1 elements with 4 bytes left must be refused up front.
        var r = ByteReader([0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        #expect(throws: WireError.lengthTooLarge(Int(Int32.max), limit: 4)) { _ = try r.readArrayCount(compact: false) }
        var r2 = ByteReader([0xFF, 0xFF, 0xFF, 0xFE])
        #expect(throws: WireError.negativeLength(-2)) { _ = try r2.readNullableBytes(compact: false) }
        var r3 = ByteReader([0x00, 0x10, 0x41])
        #expect(throws: WireError.truncated(needed: 16, remaining: 1)) { _ = try r3.readString(compact: false) }
    }

    @Test func slicesShareStorageAndSubReadersAreBounded() throws {
        let bytes: [UInt8] = [0, 0, 0, 3, 9, 8, 7, 6]
        var r = ByteReader(bytes)
        let slice = try #require(try r.readNullableByteSlice(compact: false))
        #expect(Array(slice) == [9, 8, 7])
        #expect(r.remaining == 1)
        var r2 = ByteReader(bytes)
        var sub = try r2.subReader(2)
        _ = try sub.readInt16()
        #expect(throws: WireError.self) { _ = try sub.readInt8() }
        #expect(try r2.readInt8() == 0)
    }

    @Test func taggedFieldsRoundTripInTagOrder() throws {
        var w = ByteWriter()
        w.writeTaggedFields([TaggedField(tag: 5, data: [1]), TaggedField(tag: 2, data: [2, 3])])
        #expect(w.bytes == [2, 2, 2, 2, 3, 5, 1, 1])
        var r = ByteReader(w.bytes)
        #expect(try r.readUnknownTaggedFields() == [TaggedField(tag: 2, data: [2, 3]), TaggedField(tag: 5, data: [1])])
    }

    @Test func splicedRegionsCountInFrameSizes() {
        var w = ByteWriter()
        let size = w.reserveInt32()
        w.writeInt16(7)
        w.writeRegion(FileRegion(fd: 3, offset: 0, count: 1000))
        w.writeInt8(1)
        w.patchInt32(Int32(w.countSince(size + 4)), at: size)
        #expect(w.bytes == [0, 0, 0x03, 0xEB, 0, 7, 1])
        #expect(w.splices == [Splice(at: 6, region: FileRegion(fd: 3, offset: 0, count: 1000))])
        #expect(w.totalCount == 1007)
    }

    @Test func uuidPrintsAsKafkaDoes() {
        let id = Uuid(high: 0, low: 1)
        #expect(id.description == "AAAAAAAAAAAAAAAAAAAAAQ")
        #expect(Uuid(base64URL: id.description) == id)
        let random = Uuid.random()
        #expect(Uuid(base64URL: random.description) == random)
        #expect(Uuid(base64URL: "not*base64") == nil)
    }
}
