import Foundation
import KafkaRecords
import Testing
@testable import LogStore

/// Faults on disk: the log opens, keeps every valid batch before the damage, says what it
/// dropped, and never hands a reader corrupt bytes.
@Suite struct RecoveryTests {
    /// Three segments of ten 1-record batches each (offsets 0–29).
    func populated(_ t: TestLog) throws -> Log {
        var config = LogConfig()
        config.segmentBytes = 10 * makeBatch(valueSize: 100).count
        config.indexIntervalBytes = 200
        let (log, _) = try t.open(config)
        for i in 0..<30 { try log.append(makeBatch(valueSize: 100, seed: i), options: AppendOptions(leaderEpoch: Int32(i / 10))) }
        #expect(log.segmentBaseOffsets == [0, 10, 20])
        return log
    }

    var config: LogConfig {
        var config = LogConfig()
        config.segmentBytes = 10 * makeBatch(valueSize: 100).count
        config.indexIntervalBytes = 200
        return config
    }

    /// Every batch readable, each with a valid CRC and offsets one after another.
    func expectIntact(_ log: Log, count: Int) throws {
        let bytes = try log.read(from: log.logStartOffset, maxBytes: 1 << 30).readBytes()
        var all: [RecordBatchHeader] = []
        var next = log.logStartOffset
        while next < log.logEndOffset {
            let chunk = try log.read(from: next, maxBytes: 1 << 30).readBytes()
            var iterator = RecordBatchIterator(chunk)
            while let entry = iterator.next() {
                let header = try RecordBatchHeader.validate(chunk[entry.range], .stored)
                #expect(header.baseOffset == next)
                all.append(header)
                next = header.nextOffset
            }
        }
        _ = bytes
        #expect(all.count == count)
    }

    @Test func uncleanReopenScansAndKeepsEverything() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        _ = try populated(t)
        let (log, report) = try t.open(config, clean: false)
        #expect(!report.foundDamage)
        #expect(report.segmentsScanned == 3)
        #expect(log.logEndOffset == 30)
        try expectIntact(log, count: 30)
        #expect(log.leaderEpochEntries.map(\.epoch) == [0, 1, 2])
    }

    @Test func corruptBytesInTheMiddleOfASegment() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        _ = try populated(t)
        let path = t.logDir + "/00000000000000000010.log"
        var bytes = readFile(path)
        let batchSize = makeBatch(valueSize: 100).count
        bytes[batchSize * 4 + 80] ^= 0x5A  // inside batch 14's records
        writeFile(path, bytes)
        let (log, report) = try t.open(config, clean: false, checkpoints: LogCheckpoints(recoveryPoint: 5))
        #expect(report.foundDamage)
        #expect(report.truncatedBytes == Int64(batchSize * 6))
        #expect(report.deletedSegments == [20])
        #expect(report.problems.contains { $0.contains("CRC") })
        #expect(t.sink.all.contains { $0.contains("segment 10") })
        #expect(log.logEndOffset == 14)
        try expectIntact(log, count: 14)
        // Appending continues from there.
        let info = try log.append(makeBatch())
        #expect(info.firstOffset == 14)
    }

    @Test func tornBatchAtTheTail() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        _ = try populated(t)
        let path = t.logDir + "/00000000000000000020.log"
        var bytes = readFile(path)
        var extra = makeBatch(valueSize: 100)
        try RecordBatchHeader.setBaseOffset(30, in: &extra)
        bytes += extra.prefix(extra.count / 2)
        writeFile(path, bytes)
        let (log, report) = try t.open(config, clean: false, checkpoints: LogCheckpoints(recoveryPoint: 20))
        #expect(report.truncatedBytes == Int64(extra.count / 2))
        #expect(report.problems.contains { $0.contains("torn") })
        #expect(log.logEndOffset == 30)
        try expectIntact(log, count: 30)
    }

    @Test func zeroFilledTail() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        _ = try populated(t)
        let path = t.logDir + "/00000000000000000020.log"
        writeFile(path, readFile(path) + [UInt8](repeating: 0, count: 8192))
        let (log, report) = try t.open(config, clean: false, checkpoints: LogCheckpoints(recoveryPoint: 25))
        #expect(report.truncatedBytes == 8192)
        #expect(report.problems.contains { $0.contains("zero-filled") })
        #expect(log.logEndOffset == 30)
        #expect(fileSize(path) == 10 * makeBatch(valueSize: 100).count)
        try expectIntact(log, count: 30)
    }

    @Test func cleanReopenReadsNoSegmentData() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try populated(t)
        let checkpoints = try t.closeCleanly(log)
        let stats = IOStats()
        let env = LogEnvironment(log: t.sink.sink, clock: t.clock.clock, stats: stats)
        let (reopened, report) = try Log.open(
            directory: t.logDir, topicPartition: t.tp, config: config, checkpoints: checkpoints, cleanShutdown: true, environment: env)
        #expect(stats.dataReads == 0)
        #expect(report.segmentsScanned == 0 && !report.foundDamage)
        #expect(reopened.logEndOffset == 30)
        try expectIntact(reopened, count: 30)
        #expect(stats.dataReads > 0)
    }

    @Test func indexesAreTrimmedOnCloseAndPreallocatedWhileActive() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try populated(t)
        let activeIndex = t.logDir + "/00000000000000000020.index"
        #expect(fileSize(activeIndex) == LogConfig().segmentIndexBytes / 8 * 8)
        #expect(fileSize(t.logDir + "/00000000000000000000.index") % 8 == 0)
        #expect(fileSize(t.logDir + "/00000000000000000000.index") < 1000)
        _ = try t.closeCleanly(log)
        #expect(fileSize(activeIndex) < 1000)
        #expect(fileSize(t.logDir + "/00000000000000000020.timeindex") % 12 == 0)
    }

    @Test func missingAndTruncatedIndexesAreRebuilt() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try populated(t)
        let checkpoints = try t.closeCleanly(log)
        let index0 = t.logDir + "/00000000000000000000.index"
        let time0 = t.logDir + "/00000000000000000000.timeindex"
        let index10 = t.logDir + "/00000000000000000010.index"
        let original0 = readFile(index0)
        let originalTime0 = readFile(time0)
        #expect(original0.count > 0)
        try FileManager.default.removeItem(atPath: index0)
        try FileManager.default.removeItem(atPath: time0)
        writeFile(index10, Array(readFile(index10).prefix(5)))
        let (reopened, report) = try t.open(config, clean: true, checkpoints: checkpoints)
        #expect(Set(report.rebuiltIndexes) == [0, 10])
        #expect(readFile(index0) == original0)
        #expect(readFile(time0) == originalTime0)
        #expect(fileSize(index10) % 8 == 0)
        try expectIntact(reopened, count: 30)
    }

    @Test func garbageIndexIsRebuiltOnFirstUse() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try populated(t)
        let checkpoints = try t.closeCleanly(log)
        let index10 = t.logDir + "/00000000000000000010.index"
        let size = readFile(index10).count
        var rng = SplitMix64(seed: 7)
        writeFile(index10, (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let (reopened, _) = try t.open(config, clean: true, checkpoints: checkpoints)
        for offset in Int64(10)..<30 {
            let first = try #require(batches(in: try reopened.read(from: offset, maxBytes: 1).readBytes()).first)
            #expect(first.baseOffset == offset)
        }
    }

    @Test func missingCheckpointAfterCleanShutdownRecoversTheActiveSegment() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try populated(t)
        _ = try t.closeCleanly(log)
        let (reopened, report) = try t.open(config, clean: true, checkpoints: LogCheckpoints())
        #expect(report.segmentsScanned == 1)
        #expect(reopened.logEndOffset == 30)
    }

    @Test func garbageLeaderEpochCheckpointIsRebuiltFromTheScan() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        _ = try populated(t)
        writeFile(t.logDir + "/leader-epoch-checkpoint", Array("0\n7\nnonsense\n".utf8))
        let (log, report) = try t.open(config, clean: false)
        #expect(report.problems.contains { $0.contains("leader-epoch-checkpoint") })
        #expect(log.leaderEpochEntries == [EpochEntry(epoch: 0, startOffset: 0), EpochEntry(epoch: 1, startOffset: 10), EpochEntry(epoch: 2, startOffset: 20)])
        let text = String(decoding: readFile(t.logDir + "/leader-epoch-checkpoint"), as: UTF8.self)
        #expect(text == "0\n3\n0 0\n1 10\n2 20\n")
    }

    @Test func garbageRootCheckpointsMakeTheManagerRecover() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let sink = LineSink()
        let env = LogEnvironment(log: sink.sink)
        let options = LogManager.Options(logDirs: [dir.path])
        let manager = try LogManager(options: options, environment: env)
        let tp = TopicPartition(topic: "orders", partition: 3)
        let log = try manager.getOrCreateLog(tp)
        for _ in 0..<5 { try log.append(makeBatch(count: 2, timestamp: LogEnvironment.wallClockMs())) }
        try manager.shutdown()
        writeFile(dir.file("recovery-point-offset-checkpoint"), Array("0\n1\norders 3 notanumber\n".utf8))
        writeFile(dir.file("log-start-offset-checkpoint"), [0xFF, 0xFE, 0x00])
        let reopened = try LogManager(options: options, environment: env)
        #expect(reopened.log(for: tp)?.logEndOffset == 10)
        #expect(sink.all.contains { $0.contains("malformed checkpoint") })
        #expect(reopened.recoveryReports.first?.segmentsScanned == 1)
    }

    @Test func interruptedCompactionSwapIsCompleted() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        let log = try populated(t)
        _ = try t.closeCleanly(log)
        // A finished compacted copy of segment 10 that was never renamed into place: the first
        // five batches only (as if the rest had been compacted away).
        let original = readFile(t.logDir + "/00000000000000000010.log")
        let size = makeBatch(valueSize: 100).count
        writeFile(t.logDir + "/00000000000000000010.log.swap", Array(original.prefix(size * 5)))
        writeFile(t.logDir + "/00000000000000000020.log.cleaned", [1, 2, 3])
        let (reopened, report) = try t.open(config, clean: false)
        #expect(report.problems.contains { $0.contains("swap") })
        #expect(!FileManager.default.fileExists(atPath: t.logDir + "/00000000000000000020.log.cleaned"))
        #expect(fileSize(t.logDir + "/00000000000000000010.log") == size * 5)
        #expect(reopened.logEndOffset == 30)
        let offsets = try readAll(reopened).map(\.baseOffset)
        #expect(offsets == Array(0..<15) + Array(20..<30))
    }
}

@Suite struct CheckpointSanityTests {
    @Test func aRecoveryPointTheIndexContradictsIsNotTrusted() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.indexIntervalBytes = 100
        let (log, _) = try t.open(config)
        for _ in 0..<20 { try log.append(makeBatch(valueSize: 100)) }
        _ = try t.closeCleanly(log)
        // A syntactically valid checkpoint whose offset lies below what the index names.
        let (reopened, report) = try t.open(config, clean: true, checkpoints: LogCheckpoints(recoveryPoint: 3))
        #expect(report.segmentsScanned == 1)
        #expect(reopened.logEndOffset == 20)
    }
}

@Suite struct PlausibleButWrongIndexTests {
    /// An index that passes the sanity check (entries increase) but points between batches is
    /// caught at the first lookup and rebuilt; no read starts mid-batch.
    @Test func shiftedPositionsAreDetectedAndRebuilt() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.indexIntervalBytes = 200
        let (log, _) = try t.open(config)
        for i in 0..<30 { try log.append(makeBatch(valueSize: 100, seed: i)) }
        try log.forceRoll()
        let checkpoints = try t.closeCleanly(log)
        let path = t.logDir + "/00000000000000000000.index"
        var index = readFile(path)
        #expect(index.count >= 16)
        for slot in stride(from: 0, to: index.count, by: 8) { index[slot + 7] &+= 3 }  // every position + 3
        writeFile(path, index)
        let (reopened, _) = try t.open(config, clean: true, checkpoints: checkpoints)
        for offset in Int64(0)..<30 {
            let first = try #require(batches(in: try reopened.read(from: offset, maxBytes: 1).readBytes()).first)
            #expect(first.baseOffset == offset)
        }
        #expect(readFile(path) != index)
    }
}
