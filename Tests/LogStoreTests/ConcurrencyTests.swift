import Dispatch
import Foundation
import KafkaRecords
import Synchronization
import Testing
@testable import LogStore

@Suite struct ConcurrencyTests {
    /// One appender (moving the high watermark behind it) and several readers at once: readers
    /// see only whole, valid batches below the bound they were given.
    @Test func oneAppenderManyReaders() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.segmentBytes = 64 * 1024
        config.indexIntervalBytes = 1024
        config.retentionBytes = 256 * 1024
        config.retentionMs = -1
        config.fileDeleteDelayMs = 0
        let (log, _) = try t.open(config)
        let done = Atomic<Bool>(false)
        let problems = Mutex<[String]>([])
        let reads = Atomic<Int>(0)
        let outOfRange = Atomic<Int>(0)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            for i in 0..<1500 {
                do {
                    try log.append(makeBatch(count: 1 + i % 4, valueSize: 200, seed: i))
                    log.updateHighWatermark(log.logEndOffset - Int64(i % 3))
                    if i % 100 == 0 { try log.deleteOldSegments() }
                } catch {
                    problems.withLock { $0.append("append: \(error)") }
                }
            }
            done.store(true, ordering: .releasing)
        }
        for reader in 0..<3 {
            DispatchQueue.global().async(group: group) {
                var rng = SplitMix64(seed: UInt64(reader))
                var mine = 0
                while !done.load(ordering: .acquiring) || mine < 200 {
                    mine += 1
                    let start = log.logStartOffset
                    let hw = log.highWatermark
                    guard hw > start else { continue }
                    let offset = Int64.random(in: start..<hw, using: &rng)
                    do {
                        let result = try log.read(from: offset, maxBytes: 8192, upTo: hw)
                        let bytes = try result.readBytes()
                        var iterator = RecordBatchIterator(bytes)
                        while let entry = iterator.next() {
                            let header = try RecordBatchHeader.validate(bytes[entry.range], .stored)
                            if header.lastOffset >= hw { problems.withLock { $0.append("batch \(header.baseOffset) past bound \(hw)") } }
                        }
                        reads.add(1, ordering: .relaxed)
                    } catch let error as LogError {
                        // Retention may pass the offset between the snapshot and the read.
                        if case .offsetOutOfRange = error { outOfRange.add(1, ordering: .relaxed) } else { problems.withLock { $0.append("read: \(error)") } }
                    } catch {
                        problems.withLock { $0.append("read: \(error)") }
                    }
                }
            }
        }
        group.wait()
        #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0.prefix(5) })")
        #expect(reads.load(ordering: .relaxed) > 0, "\(outOfRange.load(ordering: .relaxed)) reads out of range")
    }
}

@Suite struct BackgroundCompactionTests {
    /// The cleaner runs while an appender keeps appending: appends never wait for it, and the
    /// result keeps the latest value of every key.
    @Test func compactionAlongsideAppends() throws {
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.cleanupPolicy = .compact
        config.segmentBytes = 4096
        config.fileDeleteDelayMs = 0
        let (log, _) = try t.open(config)
        let done = Atomic<Bool>(false)
        let failures = Mutex<[String]>([])
        let passes = Atomic<Int>(0)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            for i in 0..<600 {
                do {
                    try log.append(makeKeyedBatch([("key-\(i % 20)", "value-\(i)")], timestamp: t.clock.now))
                } catch {
                    failures.withLock { $0.append("append \(i): \(error)") }
                }
            }
            done.store(true, ordering: .releasing)
        }
        DispatchQueue.global().async(group: group) {
            while !done.load(ordering: .acquiring) {
                do {
                    if try log.compact(force: true) != nil { passes.add(1, ordering: .relaxed) }
                } catch {
                    failures.withLock { $0.append("compact: \(error)") }
                }
            }
        }
        group.wait()
        try log.compact(force: true)
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(3) })")
        #expect(log.logEndOffset == 600)
        var latest: [String: String] = [:]
        var next: Int64 = 0
        while next < log.logEndOffset {
            let bytes = try log.read(from: next, maxBytes: 1 << 20).readBytes()
            let decoded = try RecordBatch.decodeAll(bytes[...])
            guard let last = decoded.last else { break }
            for record in decoded.flatMap(\.records) where record.offset >= next {
                latest[String(decoding: record.key ?? [], as: UTF8.self)] = String(decoding: record.value ?? [], as: UTF8.self)
            }
            next = last.header.nextOffset
        }
        for key in 0..<20 {
            let newest = (0..<600).last { $0 % 20 == key } ?? 0
            #expect(latest["key-\(key)"] == "value-\(newest)")
        }
    }
}
