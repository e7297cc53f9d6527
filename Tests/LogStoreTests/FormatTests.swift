import Foundation
import Testing
@testable import LogStore

/// Checks the files against Kafka's on-disk format with a reader written here from the format
/// description alone (no KafkaRecords): batch framing, CRC-32C, offsets, and index layouts.
@Suite struct FormatTests {
    /// Bitwise CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
    static func crc32c(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0x82F6_3B78 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    static func be<T: FixedWidthInteger>(_ bytes: [UInt8], _ at: Int, _: T.Type) -> T {
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size { value = value << 8 | T(bytes[at + i]) }
        return value
    }

    struct Batch {
        var position: Int
        var baseOffset: Int64
        var lastOffset: Int64
        var maxTimestamp: Int64
        var size: Int
    }

    /// Parses a whole `.log` file; every byte must belong to a valid batch.
    static func parseLog(_ bytes: [UInt8]) -> (batches: [Batch], problems: [String]) {
        var batches: [Batch] = []
        var problems: [String] = []
        var at = 0
        while at < bytes.count {
            guard bytes.count - at >= 61 else { problems.append("trailing \(bytes.count - at) bytes"); break }
            let baseOffset = be(bytes, at, Int64.self)
            let length = Int(be(bytes, at + 8, Int32.self))
            let magic = bytes[at + 16]
            let crc = be(bytes, at + 17, UInt32.self)
            guard magic == 2 else { problems.append("magic \(magic) at \(at)"); break }
            guard length >= 49, at + 12 + length <= bytes.count else { problems.append("length \(length) at \(at)"); break }
            let end = at + 12 + length
            if crc32c(bytes[(at + 21)..<end]) != crc { problems.append("CRC mismatch at \(at)") }
            let lastOffsetDelta = be(bytes, at + 23, Int32.self)
            let maxTimestamp = be(bytes, at + 35, Int64.self)
            let count = be(bytes, at + 57, Int32.self)
            if lastOffsetDelta < count - 1 { problems.append("lastOffsetDelta \(lastOffsetDelta) < count \(count) - 1") }
            batches.append(Batch(position: at, baseOffset: baseOffset, lastOffset: baseOffset + Int64(lastOffsetDelta), maxTimestamp: maxTimestamp, size: end - at))
            at = end
        }
        return (batches, problems)
    }

    @Test func segmentsAndIndexesAreInKafkasFormat() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.segmentBytes = 20_000
        config.indexIntervalBytes = 1000
        let (log, _) = try t.open(config)
        var rng = SplitMix64(seed: 42)
        for i in 0..<120 {
            let count = Int.random(in: 1...5, using: &rng)
            let size = Int.random(in: 10...900, using: &rng)
            try log.append(makeBatch(count: count, valueSize: size, timestamp: t.clock.now + Int64(i * 10)), options: AppendOptions(leaderEpoch: 3))
        }
        try log.forceRoll()  // finishes the last full segment's indexes
        var expectedNext: Int64 = 0
        let names = t.segmentFiles()
        #expect(names.count > 3)
        for name in names {
            #expect(name.count == 24 && name.prefix(20).allSatisfy(\.isNumber))
            let base = Int64(name.prefix(20)) ?? -1
            let bytes = readFile(t.logDir + "/" + name)
            let (batches, problems) = Self.parseLog(bytes)
            #expect(problems.isEmpty, "\(name): \(problems)")
            if let first = batches.first { #expect(first.baseOffset == base) }
            for batch in batches {
                #expect(batch.baseOffset == expectedNext)
                #expect(Self.be(bytes, batch.position + 12, Int32.self) == 3)  // partitionLeaderEpoch
                expectedNext = batch.lastOffset + 1
            }
            // .index: 8-byte entries of int32 relative offset, int32 position of a batch whose
            // last offset it names; both increasing. The active segment's file is preallocated:
            // its unused slots are zero.
            var index = readFile(t.logDir + "/" + name.dropLast(4) + ".index")
            #expect(index.count % 8 == 0)
            if name == names.last {
                #expect(index.count == config.segmentIndexBytes)
                index = Array(index.chunks8.prefix { $0.contains { $0 != 0 } }.joined())
            }
            var previous: (Int32, Int32) = (-1, -1)
            let byPosition = Dictionary(uniqueKeysWithValues: batches.map { ($0.position, $0) })
            for entry in stride(from: 0, to: index.count, by: 8) {
                let relative = Self.be(index, entry, Int32.self)
                let position = Self.be(index, entry + 4, Int32.self)
                #expect(relative > previous.0 && position > previous.1)
                previous = (relative, position)
                #expect(byPosition[Int(position)]?.lastOffset == base + Int64(relative))
            }
            if batches.count > 3 { #expect(index.count > 0) }
            // .timeindex: 12-byte entries of int64 timestamp, int32 relative offset; timestamps
            // increase and the last one is the segment's largest.
            var timeIndex = readFile(t.logDir + "/" + name.dropLast(4) + ".timeindex")
            #expect(timeIndex.count % 12 == 0)
            if name == names.last { timeIndex = [] }
            var lastTimestamp = Int64.min
            for entry in stride(from: 0, to: timeIndex.count, by: 12) {
                let timestamp = Self.be(timeIndex, entry, Int64.self)
                let relative = Self.be(timeIndex, entry + 8, Int32.self)
                #expect(timestamp > lastTimestamp)
                lastTimestamp = timestamp
                #expect(batches.contains { $0.lastOffset == base + Int64(relative) && $0.maxTimestamp == timestamp })
            }
            if let largest = batches.map(\.maxTimestamp).max() { #expect(lastTimestamp == largest) }
        }
        #expect(expectedNext == log.logEndOffset)
    }

    @Test func fileNamesAndCheckpointText() {
        #expect(SegmentFileNames.offsetName(0) == "00000000000000000000")
        #expect(SegmentFileNames.offsetName(1234567) == "00000000000001234567")
        #expect(TopicPartition(directoryName: "my-topic-12") == TopicPartition(topic: "my-topic", partition: 12))
        #expect(TopicPartition(directoryName: "my-topic-12.0123abcd-delete") == nil)
        #expect(TopicPartition(directoryName: "orders-x") == nil)
        #expect(String(decoding: CheckpointText.encode(["a 0 5", "b 1 7"]), as: UTF8.self) == "0\n2\na 0 5\nb 1 7\n")
        #expect(throws: CheckpointError.self) { try CheckpointText.decode(Array("1\n0\n".utf8), path: "x", fields: 3) }
        #expect(throws: CheckpointError.self) { try CheckpointText.decode(Array("0\n2\na 0 5\n".utf8), path: "x", fields: 3) }
        #expect(throws: CheckpointError.self) { try CheckpointText.decode([0xFF, 0x00], path: "x", fields: 3) }
    }
}

extension Array where Element == UInt8 {
    /// The bytes in 8-byte slots.
    var chunks8: [ArraySlice<UInt8>] { stride(from: 0, to: count, by: 8).map { self[$0..<Swift.min(count, $0 + 8)] } }
}
