#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import LogStore

/// A full disk, simulated with a small tmpfs mounted for the test (root only; without the
/// privilege the test records that it could not run).
@Suite struct FullDiskTests {
    @Test func appendOnAFullDiskFailsWithAStorageErrorAndLeavesNothingPartial() throws {
        let dir = TempDir("fulldisk")
        defer { dir.remove() }
        guard mount("tmpfs", dir.path, "tmpfs", 0, "size=192k") == 0 else {
            print("FullDiskTests: cannot mount tmpfs here (errno \(errno)); test not run")
            return
        }
        defer { umount(dir.path) }
        // Ballast, deleted at the end to make room for the restart (as an operator would).
        let ballast = dir.path + "/ballast"
        writeFile(ballast, [UInt8](repeating: 1, count: 32 * 1024))
        var config = LogConfig()
        config.segmentIndexBytes = 4096
        let tp = TopicPartition(topic: "full", partition: 0)
        let (log, _) = try Log.open(directory: dir.path + "/full-0", topicPartition: tp, config: config, cleanShutdown: true)
        var appended = 0
        var failure: LogError?
        for _ in 0..<100 {
            do {
                try log.append(makeBatch(count: 1, valueSize: 10_000, timestamp: LogEnvironment.wallClockMs()))
                appended += 1
            } catch {
                failure = error
                break
            }
        }
        let error = try #require(failure)
        #expect(error.kafkaErrorName == "KAFKA_STORAGE_ERROR")
        #expect("\(error)".contains("No space left"))
        let batch = makeBatch(count: 1, valueSize: 10_000).count
        // The file holds exactly the batches that were acknowledged.
        #expect(fileSize(dir.path + "/full-0/00000000000000000000.log") == appended * batch)
        #expect(log.logEndOffset == Int64(appended))
        #expect(try readAll(log).count == appended)
        // Small batches that still fit go on; offsets continue without a gap.
        let info = try log.append(makeBatch(count: 1, valueSize: 10, timestamp: LogEnvironment.wallClockMs()))
        #expect(info.firstOffset == Int64(appended))
        // After an unclean restart (with room again) nothing partial is found.
        try FileManager.default.removeItem(atPath: ballast)
        let (reopened, report) = try Log.open(directory: dir.path + "/full-0", topicPartition: tp, config: config, cleanShutdown: false)
        #expect(!report.foundDamage)
        #expect(reopened.logEndOffset == Int64(appended + 1))
    }
}
