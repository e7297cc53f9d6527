import Foundation
import KafkaRecords
import Testing
import Wire
@testable import LogStore

@Suite struct LogManagerTests {
    func text(_ path: String) -> String { String(decoding: readFile(path), as: UTF8.self) }

    @Test func kafkaLayoutCheckpointsAndCleanShutdownMarker() throws {
        let a = TempDir(), b = TempDir()
        defer { a.remove(); b.remove() }
        let options = LogManager.Options(logDirs: [a.path, b.path], brokerId: 7, clusterId: "petrel-cluster")
        let manager = try LogManager(options: options)
        let topicId = Uuid.random()
        var logs: [TopicPartition: Log] = [:]
        for p in 0..<4 {
            let tp = TopicPartition(topic: "orders", partition: Int32(p))
            let log = try manager.getOrCreateLog(tp, topicId: topicId)
            for _ in 0...p { try log.append(makeBatch(count: 2, timestamp: LogEnvironment.wallClockMs())) }
            log.updateHighWatermark(Int64(p))
            logs[tp] = log
        }
        // Spread over the directories: two partitions each.
        let inA = try FileManager.default.contentsOfDirectory(atPath: a.path).filter { $0.hasPrefix("orders-") }
        #expect(inA.count == 2)
        let dirOf0 = try #require(logs[TopicPartition(topic: "orders", partition: 0)]).directory
        #expect(text(dirOf0 + "/partition.metadata") == "version: 0\ntopic_id: \(topicId)\n")
        #expect(text(a.file("meta.properties")).contains("version=0\nbroker.id=7\ncluster.id=petrel-cluster\n"))
        try manager.shutdown()
        #expect(FileManager.default.fileExists(atPath: a.file(".kafka_cleanshutdown")))
        let aPartitions = inA.compactMap { TopicPartition(directoryName: $0) }.sorted()
        let expectedRecovery = "0\n2\n" + aPartitions.map { "orders \($0.partition) \(2 * ($0.partition + 1))\n" }.joined()
        #expect(text(a.file("recovery-point-offset-checkpoint")) == expectedRecovery)
        let expectedHW = "0\n2\n" + aPartitions.map { "orders \($0.partition) \($0.partition)\n" }.joined()
        #expect(text(a.file("replication-offset-checkpoint")) == expectedHW)
        #expect(text(a.file("log-start-offset-checkpoint")) == "0\n2\n" + aPartitions.map { "orders \($0.partition) 0\n" }.joined())

        let reopened = try LogManager(options: options)
        #expect(!FileManager.default.fileExists(atPath: a.file(".kafka_cleanshutdown")))
        #expect(reopened.allLogs.count == 4)
        for (tp, log) in reopened.allLogs {
            #expect(log.logEndOffset == 2 * Int64(tp.partition + 1))
            #expect(log.highWatermark == Int64(tp.partition))
            #expect(log.topicId == topicId)
        }
        #expect(reopened.recoveryReports.allSatisfy { $0.segmentsScanned == 0 })
        // A directory that belongs to another broker is refused.
        var wrong = options
        wrong.brokerId = 8
        #expect(throws: LogError.self) { try LogManager(options: wrong) }
    }

    @Test func deletedPartitionsAreRenamedThenRemoved() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let clock = ManualClock()
        let manager = try LogManager(options: LogManager.Options(logDirs: [dir.path]), environment: LogEnvironment(clock: clock.clock))
        let tp = TopicPartition(topic: "gone", partition: 0)
        try manager.getOrCreateLog(tp).append(makeBatch())
        try manager.deleteLog(tp)
        #expect(manager.log(for: tp) == nil)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let deleted = try #require(names.first { $0.hasSuffix("-delete") })
        #expect(deleted.hasPrefix("gone-0.") && deleted.count == "gone-0.".count + 32 + "-delete".count)
        manager.deleteExpiredFiles(now: clock.now + 59_000)
        #expect(FileManager.default.fileExists(atPath: dir.file(deleted)))
        manager.deleteExpiredFiles(now: clock.now + 60_000)
        #expect(!FileManager.default.fileExists(atPath: dir.file(deleted)))
        #expect(errorName { try manager.deleteLog(tp) } == "UNKNOWN_TOPIC_OR_PARTITION")
    }

    @Test func topicConfigOverrides() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let manager = try LogManager(options: LogManager.Options(logDirs: [dir.path]))
        let log = try manager.getOrCreateLog(TopicPartition(topic: "t", partition: 0))
        try manager.setTopicConfig("t", overrides: ["retention.ms": "1000", "cleanup.policy": "compact,delete", "min.insync.replicas": "2"])
        #expect(log.config.retentionMs == 1000 && log.config.cleanupPolicy == .compactAndDelete)
        #expect(errorName { try manager.setTopicConfig("t", overrides: ["segment.bytes": "-5"]) } == "INVALID_CONFIG")
        #expect(errorName { try manager.setTopicConfig("t", overrides: ["cleanup.policy": "shred"]) } == "INVALID_CONFIG")
        #expect(log.config.retentionMs == 1000)
        #expect(LogConfig.defaults["segment.bytes"] == "1073741824")
        #expect(LogConfig.defaults["max.message.bytes"] == "1048588")
        #expect(LogConfig.defaults["index.interval.bytes"] == "4096")
        #expect(LogConfig.defaults["segment.index.bytes"] == "10485760")
        #expect(LogConfig.defaults["retention.ms"] == "604800000")
    }

    @Test func schedulerRunsRetention() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        var options = LogManager.Options(logDirs: [dir.path])
        options.retentionCheckIntervalMs = 20
        options.defaultConfig.fileDeleteDelayMs = 0
        let manager = try LogManager(options: options)
        manager.startup()
        let log = try manager.getOrCreateLog(TopicPartition(topic: "t", partition: 0))
        try manager.setTopicConfig("t", overrides: ["retention.ms": "1000"])
        try log.append(makeBatch(timestamp: LogEnvironment.wallClockMs() - 10_000))
        try log.append(makeBatch(timestamp: LogEnvironment.wallClockMs() - 10_000))
        log.updateHighWatermark(2)
        var waited = 0
        while log.logStartOffset < 2 && waited < 200 {
            try await Task.sleep(nanoseconds: 10_000_000)
            waited += 1
        }
        #expect(log.logStartOffset == 2)
        try manager.shutdown()
    }

    /// Thousands of partitions reopen after a clean shutdown without reading segment data.
    @Test func twoThousandPartitionsReopenWithoutReadingData() throws {
        let root = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/logstore-many-\(getpid())" : TempDir().path
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var options = LogManager.Options(logDirs: [root])
        options.defaultConfig.segmentIndexBytes = 4096
        let manager = try LogManager(options: options)
        let now = LogEnvironment.wallClockMs()
        for p in 0..<2000 {
            let log = try manager.getOrCreateLog(TopicPartition(topic: "many", partition: Int32(p)))
            try log.append(makeBatch(count: 1 + p % 3, timestamp: now))
        }
        try manager.shutdown()
        let stats = IOStats()
        let reopened = try LogManager(options: options, environment: LogEnvironment(stats: stats))
        #expect(stats.dataReads == 0)
        #expect(reopened.allLogs.count == 2000)
        for (tp, log) in reopened.allLogs where tp.partition % 97 == 0 {
            #expect(log.logEndOffset == Int64(1 + tp.partition % 3))
        }
        #expect(stats.dataReads == 0)
        #expect(reopened.recoveryReports.allSatisfy { $0.segmentsScanned == 0 && !$0.foundDamage })
    }
}

@Suite struct LogConfigTests {
    @Test func parsesKafkasTopicConfigs() throws {
        let config = try LogConfig(with: [
            "segment.bytes": "1048576", "segment.ms": "3600000", "segment.index.bytes": "4096", "index.interval.bytes": "100",
            "retention.ms": "-1", "retention.bytes": "5000000", "cleanup.policy": "delete,compact", "delete.retention.ms": "10",
            "min.compaction.lag.ms": "20", "min.cleanable.dirty.ratio": "0.25", "max.message.bytes": "2000",
            "message.timestamp.type": "LogAppendTime", "flush.messages": "1", "flush.ms": "1000", "file.delete.delay.ms": "0",
            "compression.type": "zstd", "preallocate": "true", "unclean.leader.election.enable": "false",
        ])
        #expect(config.segmentBytes == 1_048_576 && config.segmentMs == 3_600_000 && config.segmentIndexBytes == 4096)
        #expect(config.indexIntervalBytes == 100 && config.retentionMs == -1 && config.retentionBytes == 5_000_000)
        #expect(config.cleanupPolicy == .compactAndDelete && config.deleteRetentionMs == 10 && config.minCompactionLagMs == 20)
        #expect(config.minCleanableDirtyRatio == 0.25 && config.maxMessageBytes == 2000 && config.messageTimestampType == .logAppendTime)
        #expect(config.flushMessages == 1 && config.flushMs == 1000 && config.fileDeleteDelayMs == 0)
        #expect(config.compressionType == "zstd" && config.preallocate)
        #expect(config.properties["cleanup.policy"] == "compact,delete")
        for (key, value) in [("segment.bytes", "abc"), ("retention.ms", "-2"), ("min.cleanable.dirty.ratio", "1.5"),
                             ("message.timestamp.type", "Now"), ("compression.type", "brotli"), ("flush.messages", "0")] {
            #expect(errorName { try LogConfig(with: [key: value]) } == "INVALID_CONFIG", "\(key)=\(value)")
        }
    }

    @Test func deleteDirectoriesLeftByACrashAreRemovedAtStartup() throws {
        let dir = TempDir()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("old-0.0123456789abcdef0123456789abcdef-delete"), withIntermediateDirectories: true)
        writeFile(dir.file("old-0.0123456789abcdef0123456789abcdef-delete/00000000000000000000.log"), [1, 2, 3])
        try FileManager.default.createDirectory(atPath: dir.file("not a partition"), withIntermediateDirectories: true)
        let manager = try LogManager(options: LogManager.Options(logDirs: [dir.path]))
        #expect(!FileManager.default.fileExists(atPath: dir.file("old-0.0123456789abcdef0123456789abcdef-delete")))
        #expect(manager.allLogs.isEmpty)
    }
}

@Suite struct ManagerRestartTests {
    /// Without a clean shutdown (no marker) every log is recovered from its recovery point;
    /// after one, nothing is scanned.
    @Test func uncleanRestartRecoversCleanRestartDoesNot() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let options = LogManager.Options(logDirs: [dir.path])
        let first = try LogManager(options: options)
        let now = LogEnvironment.wallClockMs()
        for p in 0..<3 {
            let log = try first.getOrCreateLog(TopicPartition(topic: "r", partition: Int32(p)))
            for _ in 0..<4 { try log.append(makeBatch(count: 2, timestamp: now)) }
        }
        first.checkpointAll()  // a periodic checkpoint, then a crash: no shutdown
        let second = try LogManager(options: options)
        #expect(second.recoveryReports.count == 3)
        #expect(second.recoveryReports.allSatisfy { $0.segmentsScanned == 1 && !$0.cleanShutdown && !$0.foundDamage })
        #expect(second.allLogs.values.allSatisfy { $0.logEndOffset == 8 })
        try second.shutdown()
        let third = try LogManager(options: options)
        #expect(third.recoveryReports.allSatisfy { $0.segmentsScanned == 0 && $0.cleanShutdown })
        #expect(third.allLogs.values.allSatisfy { $0.logEndOffset == 8 })
    }
}
