import Foundation
import KafkaRecords
import Testing
@testable import LogStore

@Suite struct CompactionTests {
    func compactedLog(_ t: TestLog, _ edit: (inout LogConfig) -> Void = { _ in }) throws -> Log {
        var config = LogConfig()
        config.cleanupPolicy = .compact
        config.segmentBytes = 4 * makeKeyedBatch([("key-0", "value-000"), ("key-1", "value-000")]).count
        config.fileDeleteDelayMs = 0
        edit(&config)
        return try t.open(config).0
    }

    func allRecords(_ log: Log) throws -> [Record] {
        var result: [Record] = []
        var next = log.logStartOffset
        while next < log.logEndOffset {
            let bytes = try log.read(from: next, maxBytes: 1 << 20).readBytes()
            let decoded = try RecordBatch.decodeAll(bytes[...])
            guard let last = decoded.last else { break }
            result += decoded.flatMap(\.records).filter { $0.offset >= next }
            next = last.header.nextOffset
        }
        return result
    }

    @Test func keepsTheLatestRecordPerKeyWithOriginalOffsets() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try compactedLog(t)
        // 12 rounds over keys 0..4, two records per batch.
        var expected: [String: (offset: Int64, value: String)] = [:]
        var offset: Int64 = 0
        for round in 0..<6 {
            for pair in stride(from: 0, to: 10, by: 2) {
                let records = [("key-\(pair % 5)", "value-\(round)\(pair)"), ("key-\((pair + 1) % 5)", "value-\(round)\(pair + 1)")]
                try log.append(makeKeyedBatch(records.map { ($0.0, Optional($0.1)) }, timestamp: t.clock.now))
                for record in records {
                    expected[record.0] = (offset, record.1)
                    offset += 1
                }
            }
        }
        let activeBase = try #require(log.segmentBaseOffsets.last)
        let activeBytes = readFile(t.logDir + "/" + SegmentFileNames.offsetName(activeBase) + ".log")
        let before = try log.read(from: 0, maxBytes: 1 << 20)
        let beforeBytes = try before.readBytes()
        let stats = try #require(try log.compact(force: true))
        #expect(stats.recordsRemoved > 0 && stats.segmentsCleaned > 0)
        #expect(log.cleanerCheckpoint == activeBase)
        // The active segment is untouched.
        #expect(readFile(t.logDir + "/" + SegmentFileNames.offsetName(activeBase) + ".log") == activeBytes)
        // A read taken before compaction still reads the old bytes.
        #expect(try before.readBytes() == beforeBytes)
        let records = try allRecords(log)
        var latest: [String: Record] = [:]
        for record in records { latest[String(decoding: record.key ?? [], as: UTF8.self)] = record }
        for (key, value) in expected {
            #expect(latest[key]?.offset == value.offset)
            #expect(latest[key]?.value == Array(value.value.utf8))
        }
        // Below the active segment each key appears at most once, and offsets only increase.
        let cleaned = records.filter { $0.offset < activeBase }
        #expect(Set(cleaned.compactMap(\.key)).count == cleaned.count)
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.offset < $1.offset })
        // Every batch still carries a valid CRC and its original offset range.
        for header in try readAll(log) { #expect(header.lastOffset >= header.baseOffset) }
        let (reopened, report) = try t.open(log.config, clean: false)
        #expect(!report.foundDamage)
        #expect(try allRecords(reopened).map(\.offset) == records.map(\.offset))
    }

    @Test func tombstonesGoAfterDeleteRetention() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try compactedLog(t) { $0.deleteRetentionMs = 10_000 }
        let now = t.clock.now
        try log.append(makeKeyedBatch([("a", "1"), ("b", "1")], timestamp: now))
        try log.append(makeKeyedBatch([("a", nil)], timestamp: now))
        try log.forceRoll()
        try log.append(makeKeyedBatch([("c", "1")], timestamp: now))
        try log.compact(now: now + 1_000, force: true)
        var keys = try allRecords(log).map { String(decoding: $0.key ?? [], as: UTF8.self) + ($0.value == nil ? "=nil" : "") }
        #expect(keys == ["b", "a=nil", "c"])
        // New dirty data so the cleaner runs again, past the tombstone's retention.
        try log.append(makeKeyedBatch([("c", "2")], timestamp: now))
        try log.forceRoll()
        try log.compact(now: now + 20_000, force: true)
        keys = try allRecords(log).map { String(decoding: $0.key ?? [], as: UTF8.self) + ($0.value == nil ? "=nil" : "") }
        #expect(keys == ["b", "c"])
    }

    @Test func anIdempotentProducersLastBatchIsKeptEmpty() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try compactedLog(t)
        try log.append(makeKeyedBatch([("a", "1"), ("b", "1")], producerId: 7))   // 0-1
        try log.append(makeKeyedBatch([("a", "2"), ("b", "2")]))                   // 2-3, no producer id
        try log.forceRoll()
        try log.append(makeKeyedBatch([("x", "1")]))
        try log.compact(force: true)
        let headers = try readAll(log)
        #expect(headers.map(\.baseOffset) == [0, 2, 4])
        #expect(headers[0].recordsCount == 0 && headers[0].lastOffset == 1 && headers[0].producerId == 7)
    }

    @Test func managerRunsTheCleanerAndCheckpointsIt() throws {
        let dir = TempDir()
        defer { dir.remove() }
        var options = LogManager.Options(logDirs: [dir.path])
        options.defaultConfig.cleanupPolicy = .compact
        let manager = try LogManager(options: options)
        let tp = TopicPartition(topic: "__consumer_offsets", partition: 0)
        let log = try manager.getOrCreateLog(tp)
        let now = LogEnvironment.wallClockMs()
        for i in 0..<10 { try log.append(makeKeyedBatch([("group-1", "offset-\(i)")], timestamp: now)) }
        try log.forceRoll()
        try log.append(makeKeyedBatch([("group-2", "x")], timestamp: now))
        let results = manager.runCleaner()
        #expect(results[tp]?.recordsRemoved == 9)
        let text = String(decoding: readFile(dir.file("cleaner-offset-checkpoint")), as: UTF8.self)
        #expect(text == "0\n1\n__consumer_offsets 0 10\n")
        // Nothing new is dirty: the next pass does nothing.
        #expect(manager.runCleaner().isEmpty)
        try manager.shutdown()
        let reopened = try LogManager(options: options)
        #expect(reopened.log(for: tp)?.cleanerCheckpoint == 10)
    }
}
