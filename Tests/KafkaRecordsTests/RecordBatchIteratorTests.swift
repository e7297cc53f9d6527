import Testing
@testable import KafkaRecords

@Suite struct RecordBatchIteratorTests {
    @Test func walksBackToBackBatches() throws {
        let batches = try CompressionCodec.allCases.enumerated().map { index, codec in
            var batch = try sampleBatch(codec: codec, records: 5 + index, seed: UInt64(index))
            try RecordBatchHeader.setBaseOffset(Int64(index * 100), in: &batch)
            return batch
        }
        let blob = batches.flatMap { $0 }
        var iterator = RecordBatchIterator(blob)
        var entries: [LogEntry] = []
        while let entry = iterator.next() { entries.append(entry) }
        #expect(iterator.stop == .end)
        #expect(iterator.partialTail == nil)
        #expect(entries.count == batches.count)
        var position = 0
        for (index, entry) in entries.enumerated() {
            #expect(entry.range == position..<(position + batches[index].count))
            #expect(entry.magic == 2)
            #expect(entry.offset == Int64(index * 100))
            #expect(entry.header?.compression == CompressionCodec.allCases[index])
            #expect(entry.header?.recordsCount == Int32(5 + index))
            position += batches[index].count
        }
        #expect(try RecordBatch.decodeAll(blob[...]).map(\.records.count) == [5, 6, 7, 8, 9])
    }

    @Test func stopsCleanlyAtEveryPossibleTrailingCut() throws {
        let first = try sampleBatch(codec: .none, records: 3)
        let second = try sampleBatch(codec: .zstd, records: 4)
        let blob = first + second
        for cut in (first.count + 1)..<blob.count {
            var iterator = RecordBatchIterator(blob[..<cut])
            #expect(iterator.next()?.range == 0..<first.count)
            #expect(iterator.next() == nil)
            let available = cut - first.count
            #expect(iterator.stop == .partial(position: first.count, available: available, needed: available < 12 ? nil : second.count))
            #expect(iterator.partialTail == first.count..<cut)
            #expect(try RecordBatch.decodeAll(blob[..<cut]).count == 1)
        }
    }

    @Test func slicesKeepTheirIndices() throws {
        let batch = try sampleBatch(codec: .gzip, records: 2)
        let blob = [UInt8](repeating: 0xEE, count: 10) + batch + batch
        var iterator = RecordBatchIterator(blob[10...])
        let ranges = Array(AnyIterator { iterator.next() }).map(\.range)
        #expect(ranges == [10..<(10 + batch.count), (10 + batch.count)..<(10 + 2 * batch.count)])
    }

    @Test func reportsUnframeableEntries() {
        var bad = goldenBatch()
        bad[16] = 9
        var iterator = RecordBatchIterator(goldenBatch() + bad)
        #expect(iterator.next() != nil)
        #expect(iterator.next() == nil)
        #expect(iterator.stop == .invalid(position: 82, .unsupportedMagic(9)))

        var short = goldenBatch()
        short.replaceSubrange(8..<12, with: [0, 0, 0, 20])
        iterator = RecordBatchIterator(short)
        #expect(iterator.next() == nil)
        #expect(iterator.stop == .invalid(position: 0, .invalidBatchLength(20, available: 82)))

        var negative = goldenBatch()
        negative.replaceSubrange(8..<12, with: [0x80, 0, 0, 0])
        iterator = RecordBatchIterator(negative)
        #expect(iterator.next() == nil)
        #expect(iterator.stop == .invalid(position: 0, .invalidBatchLength(Int32.min, available: 82)))
        #expect(throws: RecordsError.self) { try RecordBatch.decodeAll(negative[...]) }
    }

    @Test func emptyBlob() {
        var iterator = RecordBatchIterator([UInt8]())
        #expect(iterator.next() == nil)
        #expect(iterator.stop == .end)
    }
}
