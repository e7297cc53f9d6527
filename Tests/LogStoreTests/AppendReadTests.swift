import KafkaRecords
import Testing
import Wire
@testable import LogStore

@Suite struct AppendReadTests {
    @Test func appendAssignsOffsetsAndEpochs() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let (log, _) = try t.open()
        let first = try log.append(makeBatch(count: 3), options: AppendOptions(leaderEpoch: 5))
        let second = try log.append(makeBatch(count: 2), options: AppendOptions(leaderEpoch: 5))
        #expect(first.firstOffset == 0 && first.lastOffset == 2)
        #expect(second.firstOffset == 3 && second.lastOffset == 4)
        #expect(log.logEndOffset == 5)
        let read = try log.read(from: 0, maxBytes: 1 << 20)
        let headers = batches(in: try read.readBytes())
        #expect(headers.map(\.baseOffset) == [0, 3])
        #expect(headers.allSatisfy { $0.partitionLeaderEpoch == 5 })
        // Patched in place without breaking the CRC (baseOffset and epoch are outside it).
        let bytes = try read.readBytes()
        #expect(throws: Never.self) { _ = try RecordBatch.decodeAll(bytes[...]) }
        #expect(log.leaderEpochEntries == [EpochEntry(epoch: 5, startOffset: 0)])
    }

    @Test func readStartsAtTheBatchHoldingTheOffsetAndStopsBeforeTheBound() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let (log, _) = try t.open()
        for _ in 0..<4 { try log.append(makeBatch(count: 5)) }  // 0-4, 5-9, 10-14, 15-19
        let mid = try log.read(from: 7, maxBytes: 1 << 20)
        #expect(mid.firstBatchOffset == 5)
        #expect(batches(in: try mid.readBytes()).map(\.baseOffset) == [5, 10, 15])
        // A bound inside a batch excludes that whole batch.
        let bounded = try log.read(from: 0, maxBytes: 1 << 20, upTo: 12)
        #expect(batches(in: try bounded.readBytes()).map(\.baseOffset) == [0, 5])
        let atBound = try log.read(from: 12, maxBytes: 1 << 20, upTo: 12)
        #expect(atBound.isEmpty)
        let atEnd = try log.read(from: 20, maxBytes: 1 << 20)
        #expect(atEnd.isEmpty && atEnd.logEndOffset == 20)
    }

    @Test func maxBytesAndMinOneMessage() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let (log, _) = try t.open()
        for _ in 0..<3 { try log.append(makeBatch(count: 2, valueSize: 500)) }
        let size = makeBatch(count: 2, valueSize: 500).count
        let small = try log.read(from: 0, maxBytes: 10, minOneMessage: true)
        #expect(small.byteCount == size)
        let none = try log.read(from: 0, maxBytes: 10, minOneMessage: false)
        #expect(none.byteCount == 10)
        let partial = try log.read(from: 0, maxBytes: size + 100)
        #expect(partial.byteCount == size + 100)
        #expect(batches(in: try partial.readBytes()).count == 1)
    }

    @Test func offsetOutOfRange() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let (log, _) = try t.open()
        try log.append(makeBatch(count: 2))
        #expect(throws: LogError.offsetOutOfRange(requested: 3, logStartOffset: 0, logEndOffset: 2)) {
            try log.read(from: 3, maxBytes: 100)
        }
        do {
            _ = try log.read(from: -1, maxBytes: 100)
            Issue.record("expected an error")
        } catch {
            #expect(error.kafkaErrorCode == 1 && error.kafkaErrorName == "OFFSET_OUT_OF_RANGE")
        }
    }

    @Test func refusesOversizedAndCorruptBatchesBeforeWriting() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.maxMessageBytes = 1000
        let (log, _) = try t.open(config)
        try log.append(makeBatch(count: 1))
        let sizeBefore = log.size
        // One good batch followed by an oversized one: nothing of the set is written.
        let big = makeBatch(count: 1) + makeBatch(count: 1, valueSize: 2000)
        #expect(throws: LogError.messageTooLarge(size: makeBatch(count: 1, valueSize: 2000).count, limit: 1000)) {
            try log.append(big)
        }
        var corrupt = makeBatch(count: 2)
        corrupt[corrupt.count - 1] ^= 0xFF
        do {
            try log.append(corrupt)
            Issue.record("corrupt batch accepted")
        } catch {
            #expect(error.kafkaErrorCode == 2)
        }
        var torn = makeBatch(count: 2)
        torn.removeLast(3)
        #expect(throws: LogError.self) { try log.append(torn) }
        var legacy = makeBatch(count: 1)
        legacy[16] = 1
        #expect(throws: LogError.self) { try log.append(legacy) }
        #expect(log.size == sizeBefore)
        #expect(log.logEndOffset == 1)
    }

    @Test func recordSetLargerThanASegmentIsRefused() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.segmentBytes = 500
        let (log, _) = try t.open(config)
        do {
            try log.append(makeBatch(count: 1, valueSize: 600))
            Issue.record("accepted")
        } catch {
            #expect(error.kafkaErrorName == "RECORD_LIST_TOO_LARGE")
        }
    }

    @Test func followerAppendKeepsOffsetsAndChecksOrder() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let (log, _) = try t.open()
        var batch = makeBatch(count: 3)
        try RecordBatchHeader.setBaseOffset(10, in: &batch)
        try RecordBatchHeader.setPartitionLeaderEpoch(2, in: &batch)
        let info = try log.append(batch, options: .follower())
        #expect(info.firstOffset == 10 && info.lastOffset == 12 && log.logEndOffset == 13)
        var stale = makeBatch(count: 1)
        try RecordBatchHeader.setBaseOffset(11, in: &stale)
        do {
            try log.append(stale, options: .follower())
            Issue.record("accepted an offset below the log end")
        } catch {
            #expect(error.kafkaErrorName == "INVALID_RECORD")
        }
        #expect(log.leaderEpochEntries == [EpochEntry(epoch: 2, startOffset: 10)])
    }

    @Test func logAppendTimeRewritesTimestampAndCRC() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.messageTimestampType = .logAppendTime
        let (log, _) = try t.open(config)
        let info = try log.append(makeBatch(count: 2, timestamp: 5))
        #expect(info.logAppendTime == t.clock.now)
        let bytes = try log.read(from: 0, maxBytes: 1 << 20).readBytes()
        let header = try RecordBatchHeader.validate(bytes, .stored)
        #expect(header.timestampType == .logAppendTime && header.maxTimestamp == t.clock.now)
        // Asked for explicitly on a CreateTime topic too.
        let t2 = TestLog()
        defer { t2.dir.remove() }
        let (other, _) = try t2.open()
        let explicit = try other.append(makeBatch(), options: AppendOptions(logAppendTime: true))
        #expect(explicit.logAppendTime > 0)
    }

    @Test func rollsBySizeTimeAndFullIndex() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.segmentBytes = 2000
        let (log, _) = try t.open(config)
        for _ in 0..<10 { try log.append(makeBatch(count: 1, valueSize: 400)) }
        #expect(log.segmentCount >= 3)
        #expect(log.segments.allSatisfy { $0.size <= 2000 })

        let t2 = TestLog()
        defer { t2.dir.remove() }
        var timed = LogConfig()
        timed.segmentMs = 1000
        let (log2, _) = try t2.open(timed)
        try log2.append(makeBatch(timestamp: t2.clock.now))
        t2.clock.advance(500)
        try log2.append(makeBatch(timestamp: t2.clock.now))
        #expect(log2.segmentCount == 1)
        t2.clock.advance(1500)
        try log2.append(makeBatch(timestamp: t2.clock.now))
        #expect(log2.segmentBaseOffsets == [0, 2])

        let t3 = TestLog()
        defer { t3.dir.remove() }
        var tiny = LogConfig()
        tiny.segmentIndexBytes = 16  // two offset-index entries
        tiny.indexIntervalBytes = 1
        let (log3, _) = try t3.open(tiny)
        for _ in 0..<8 { try log3.append(makeBatch()) }
        #expect(log3.segmentCount >= 3)
        #expect(try readAll(log3).count == 8)
    }

    @Test func readsAcrossSegments() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.segmentBytes = 1000
        let (log, _) = try t.open(config)
        for i in 0..<30 { try log.append(makeBatch(count: 1 + i % 3, valueSize: 100)) }
        let all = try readAll(log)
        #expect(all.count == 30)
        var expected: Int64 = 0
        for header in all {
            #expect(header.baseOffset == expected)
            expected = header.nextOffset
        }
        // Every offset reads back the batch holding it.
        for offset in stride(from: Int64(0), to: log.logEndOffset, by: 1) {
            let read = try log.read(from: offset, maxBytes: 1)
            let first = try #require(batches(in: try read.readBytes()).first)
            #expect(first.baseOffset <= offset && first.lastOffset >= offset)
        }
    }

    @Test func regionsStayReadableAfterRetentionDeletesTheSegment() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.segmentBytes = 600
        config.fileDeleteDelayMs = 0
        let (log, _) = try t.open(config)
        for _ in 0..<6 { try log.append(makeBatch(count: 1, valueSize: 300)) }
        log.updateHighWatermark(log.logEndOffset)
        let read = try log.read(from: 0, maxBytes: 1 << 20)
        let before = try read.readBytes()
        try log.deleteRecords(before: 4)
        #expect(log.logStartOffset == 4)
        #expect(!t.segmentFiles().contains("00000000000000000000.log"))
        // The descriptor in the region still reads the deleted file's bytes.
        #expect(try read.readBytes() == before)
        #expect(throws: LogError.self) { try log.read(from: 0, maxBytes: 100) }
    }

    @Test func offsetIndexAndTimestampLookups() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.indexIntervalBytes = 256
        let (log, _) = try t.open(config)
        let base = t.clock.now
        for i in 0..<50 { try log.append(makeBatch(count: 2, valueSize: 100, timestamp: base + Int64(i) * 10)) }
        let entries = try #require(log.activeSegment).offsetIndex
        #expect(entries.count > 5)
        // Record timestamps: batch i holds base + 10i and base + 10i + 1 at offsets 2i, 2i+1.
        let found = try #require(try log.offset(for: .timestamp(base + 251)))
        #expect(found.offset == 51 && found.timestamp == base + 251)
        let between = try #require(try log.offset(for: .timestamp(base + 255)))
        #expect(between.offset == 52)
        #expect(try log.offset(for: .timestamp(base + 10_000)) == nil)
        #expect(try log.offset(for: .earliest)?.offset == 0)
        #expect(try log.offset(for: .latest)?.offset == 100)
        #expect(try log.offset(for: .latest, upTo: 40)?.offset == 40)
        let max = try #require(try log.offset(for: .maxTimestamp))
        #expect(max.offset == 99 && max.timestamp == base + 491)
    }
}
