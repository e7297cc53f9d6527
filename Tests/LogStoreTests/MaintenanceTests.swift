import Foundation
import KafkaRecords
import Testing
@testable import LogStore

@Suite struct RetentionTests {
    func log(_ t: TestLog, _ edit: (inout LogConfig) -> Void = { _ in }) throws -> Log {
        var config = LogConfig()
        config.segmentBytes = 5 * makeBatch(valueSize: 100).count
        edit(&config)
        return try t.open(config).0
    }

    @Test func retentionMsDeletesOldSegmentsFromTheFront() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try log(t) { $0.retentionMs = 10_000; $0.fileDeleteDelayMs = 1_000 }
        let start = t.clock.now
        for i in 0..<20 { try log.append(makeBatch(valueSize: 100, timestamp: start + Int64(i) * 1_000)) }
        #expect(log.segmentBaseOffsets == [0, 5, 10, 15])
        // Nothing goes above the high watermark.
        #expect(try log.deleteOldSegments(now: start + 100_000) == 0)
        log.updateHighWatermark(20)
        // Segment 0 holds timestamps up to start+4s, segment 5 up to start+9s.
        #expect(try log.deleteOldSegments(now: start + 4_000 + 10_001) == 1)
        #expect(log.logStartOffset == 5)
        #expect(t.segmentFiles(".deleted").count == 3)
        log.deleteExpiredFiles(now: start + 4_000 + 10_001 + 999)
        #expect(t.segmentFiles(".deleted").count == 3)
        log.deleteExpiredFiles(now: start + 4_000 + 10_001 + 1_000)
        #expect(t.segmentFiles(".deleted").isEmpty)
        // Everything expired: the active segment goes too, after a roll.
        #expect(try log.deleteOldSegments(now: start + 1_000_000) == 3)
        #expect(log.logStartOffset == 20 && log.logEndOffset == 20)
        #expect(log.segmentBaseOffsets == [20])
        #expect(try log.append(makeBatch()).firstOffset == 20)
    }

    @Test func retentionBytesKeepsTheNewestBytes() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let batch = makeBatch(valueSize: 100).count
        let log = try log(t) { $0.retentionBytes = Int64(batch * 12); $0.retentionMs = -1 }
        for _ in 0..<20 { try log.append(makeBatch(valueSize: 100)) }
        log.updateHighWatermark(20)
        #expect(try log.deleteOldSegments() == 1)  // 20 batches, keep >= 12: drop 5 (15 left)
        #expect(log.logStartOffset == 5)
        #expect(log.size == Int64(batch * 15))
    }

    @Test func deleteRecordsMovesTheLogStartOffset() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try log(t)
        for _ in 0..<20 { try log.append(makeBatch(valueSize: 100)) }
        log.updateHighWatermark(12)
        #expect(errorName { try log.deleteRecords(before: 13) } == "OFFSET_OUT_OF_RANGE")
        #expect(try log.deleteRecords(before: 7) == 7)
        #expect(log.segmentBaseOffsets == [5, 10, 15])
        #expect(errorName { try log.read(from: 6, maxBytes: 10) } == "OFFSET_OUT_OF_RANGE")
        // Reads at the start offset begin with the batch holding it.
        #expect(try log.read(from: 7, maxBytes: 1).firstBatchOffset == 7)
        #expect(try log.offset(for: .earliest)?.offset == 7)
    }

    @Test func compactOnlyTopicsAreNotDeletedByTime() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try log(t) { $0.retentionMs = 1; $0.cleanupPolicy = .compact }
        for _ in 0..<20 { try log.append(makeBatch(valueSize: 100, timestamp: 1)) }
        log.updateHighWatermark(20)
        #expect(try log.deleteOldSegments() == 0)
    }
}

@Suite struct TruncationTests {
    @Test func truncateToRemovesTheTailAndLaterSegments() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.segmentBytes = 5 * makeBatch(count: 2, valueSize: 50).count
        config.fileDeleteDelayMs = 0
        let (log, _) = try t.open(config)
        for i in 0..<20 { try log.append(makeBatch(count: 2, valueSize: 50), options: AppendOptions(leaderEpoch: Int32(i / 7))) }
        log.updateHighWatermark(40)
        #expect(log.segmentBaseOffsets == [0, 10, 20, 30])
        // Offset 15 is inside the batch 14–15: the batch goes whole.
        #expect(try log.truncate(to: 15))
        #expect(log.logEndOffset == 14)
        #expect(log.highWatermark == 14)
        #expect(log.segmentBaseOffsets == [0, 10])
        #expect(try readAll(log).last?.lastOffset == 13)
        #expect(log.leaderEpochEntries == [EpochEntry(epoch: 0, startOffset: 0), EpochEntry(epoch: 1, startOffset: 14)].filter { $0.startOffset < 14 })
        #expect(try log.append(makeBatch(count: 2)).firstOffset == 14)
        #expect(try !log.truncate(to: 100))
        // The rest survives a reopen.
        let checkpoints = try t.closeCleanly(log)
        let (reopened, _) = try t.open(config, checkpoints: checkpoints)
        #expect(reopened.logEndOffset == 16)
        #expect(try readAll(reopened).count == 8)
    }

    @Test func truncateFullyAndStartAt() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let (log, _) = try t.open()
        for _ in 0..<5 { try log.append(makeBatch(count: 2), options: AppendOptions(leaderEpoch: 1)) }
        try log.truncateFullyAndStart(at: 1000)
        #expect(log.logStartOffset == 1000 && log.logEndOffset == 1000 && log.highWatermark == 1000)
        #expect(log.segmentBaseOffsets == [1000])
        #expect(log.leaderEpochEntries.isEmpty)
        #expect(t.segmentFiles().last == "00000000000000001000.log")
        #expect(try log.append(makeBatch()).firstOffset == 1000)
        #expect(errorName { try log.read(from: 0, maxBytes: 10) } == "OFFSET_OUT_OF_RANGE")
        // Truncating below the start also starts over.
        try log.truncate(to: 10)
        #expect(log.logEndOffset == 10 && log.logStartOffset == 10)
    }
}

@Suite struct LeaderEpochTests {
    @Test func endOffsetForEpochFollowsKafka() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let (log, _) = try t.open()
        try log.append(makeBatch(count: 5), options: AppendOptions(leaderEpoch: 1))   // 0-4
        try log.append(makeBatch(count: 5), options: AppendOptions(leaderEpoch: 3))   // 5-9
        try log.append(makeBatch(count: 5), options: AppendOptions(leaderEpoch: 4))   // 10-14
        #expect(log.endOffset(forLeaderEpoch: 4) == (4, 15))
        #expect(log.endOffset(forLeaderEpoch: 3) == (3, 10))
        #expect(log.endOffset(forLeaderEpoch: 2) == (1, 5))   // largest epoch <= 2, ends where 3 starts
        #expect(log.endOffset(forLeaderEpoch: 0) == (0, 0))   // below every epoch
        #expect(log.endOffset(forLeaderEpoch: 9) == (-1, -1))
        #expect(log.endOffset(forLeaderEpoch: -1) == (-1, -1))
        let text = String(decoding: readFile(t.logDir + "/leader-epoch-checkpoint"), as: UTF8.self)
        #expect(text == "0\n3\n1 0\n3 5\n4 10\n")
        // Truncation and start-offset moves trim the cache.
        try log.truncate(to: 10)
        #expect(log.leaderEpochEntries == [EpochEntry(epoch: 1, startOffset: 0), EpochEntry(epoch: 3, startOffset: 5)])
        log.updateHighWatermark(10)
        try log.deleteRecords(before: 6)
        #expect(log.leaderEpochEntries == [EpochEntry(epoch: 3, startOffset: 6)])
    }
}

@Suite struct FlushTests {
    @Test func flushMessagesMovesTheRecoveryPoint() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.flushMessages = 3
        let (log, _) = try t.open(config)
        try log.append(makeBatch(count: 2))
        #expect(log.recoveryPoint == 0)
        try log.append(makeBatch(count: 2))
        #expect(log.recoveryPoint == 4)
    }

    @Test func flushMsIsHonouredByTheScheduler() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.flushMs = 1000
        let (log, _) = try t.open(config)
        try log.append(makeBatch(count: 2))
        try log.flushIfDue(now: t.clock.now + 10)
        #expect(log.recoveryPoint == 0)
        try log.flushIfDue(now: t.clock.now + 1000)
        #expect(log.recoveryPoint == 2)
    }

    @Test func defaultsNeverFlushPerAppendButRollAndCloseDo() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let (log, _) = try t.open()
        for _ in 0..<100 { try log.append(makeBatch()) }
        #expect(log.recoveryPoint == 0)
        try log.forceRoll()
        #expect(log.recoveryPoint == 100)
        try log.append(makeBatch())
        try log.close()
        #expect(log.recoveryPoint == 101)
        #expect(errorName { try log.append(makeBatch()) } == "KAFKA_STORAGE_ERROR")
    }
}
