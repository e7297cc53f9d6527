import Foundation
import KafkaRecords
import Testing
@testable import LogStore

/// Random sequences of appends, reads, rolls, truncations, retention and reopens (clean and
/// unclean, some with a torn tail) checked against a simple in-memory model of the log.
@Suite struct PropertyTests {
    struct ModelBatch {
        var base: Int64
        var last: Int64
        var bytes: [UInt8]
    }

    struct Model {
        var batches: [ModelBatch] = []
        var start: Int64 = 0
        var end: Int64 = 0
        var hw: Int64 = 0

        /// The batches a reader may see from `offset` below `bound`.
        func visible(from offset: Int64, below bound: Int64) -> [ModelBatch] {
            batches.filter { $0.last >= offset && $0.last < bound && $0.last >= start }
        }
    }

    /// Five seeds by default; LOGSTORE_PROPERTY_SEEDS=N runs N (a longer hunt for bugs).
    static var seeds: [UInt64] {
        let count = ProcessInfo.processInfo.environment["LOGSTORE_PROPERTY_SEEDS"].flatMap { Int($0) } ?? 5
        return (1...max(1, count)).map { UInt64($0) }
    }

    @Test(arguments: PropertyTests.seeds)
    func randomOperationsMatchTheModel(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.segmentBytes = Int.random(in: 7_000...16_000, using: &rng)
        config.indexIntervalBytes = Int.random(in: 100...2_000, using: &rng)
        config.segmentIndexBytes = 8 * Int.random(in: 4...64, using: &rng)
        config.fileDeleteDelayMs = 0
        config.retentionMs = -1
        var (log, _) = try t.open(config)
        var model = Model()
        var epoch: Int32 = 0

        func check(_ what: String) throws {
            #expect(log.logEndOffset == model.end, "\(what): end")
            #expect(log.logStartOffset == model.start, "\(what): start")
            #expect(log.highWatermark == model.hw, "\(what): hw")
            let got = try readAll(log)
            let want = model.visible(from: model.start, below: model.end)
            #expect(got.map(\.baseOffset) == want.map(\.base), "\(what): batches")
        }

        for step in 0..<300 {
            let roll = Int.random(in: 0..<100, using: &rng)
            switch roll {
            case 0..<45:
                let count = Int.random(in: 1...4, using: &rng)
                var batch = makeBatch(count: count, valueSize: Int.random(in: 10...1500, using: &rng), timestamp: t.clock.now, seed: step)
                if Int.random(in: 0..<10, using: &rng) == 0 { epoch += 1 }
                let info = try log.append(&batch, options: AppendOptions(leaderEpoch: epoch))
                #expect(info.firstOffset == model.end)
                model.batches.append(ModelBatch(base: info.firstOffset, last: info.lastOffset, bytes: batch))
                model.end = info.lastOffset + 1
            case 45..<70:
                guard model.end > model.start else { continue }
                let offset = Int64.random(in: model.start...model.end, using: &rng)
                let bound = Bool.random(using: &rng) ? model.hw : model.end
                let maxBytes = Int.random(in: 1...20_000, using: &rng)
                let result = try log.read(from: offset, maxBytes: maxBytes, upTo: bound)
                let bytes = try result.readBytes()
                let want = model.visible(from: offset, below: bound)
                if offset >= bound || want.isEmpty {
                    #expect(bytes.isEmpty, "step \(step): read past bound")
                } else {
                    // Whole batches byte for byte, then possibly a cut-off one.
                    var at = 0
                    for batch in want where at < bytes.count {
                        let piece = Array(bytes[at..<min(bytes.count, at + batch.bytes.count)])
                        #expect(piece == Array(batch.bytes.prefix(piece.count)), "step \(step): bytes of batch \(batch.base)")
                        at += batch.bytes.count
                    }
                    #expect(at >= bytes.count, "step \(step): extra bytes")
                    #expect(bytes.count >= want[0].bytes.count, "step \(step): minOneMessage")
                }
            case 70..<75:
                try log.forceRoll()
            case 75..<83:
                model.hw = Int64.random(in: model.start...model.end, using: &rng)
                log.updateHighWatermark(model.hw)
            case 83..<87:
                let target = Int64.random(in: max(0, model.start - 2)...model.end, using: &rng)
                try log.truncate(to: target)
                if target < model.start {
                    model = Model(batches: [], start: target, end: target, hw: target)
                } else if target < model.end {
                    let cut = model.batches.first { $0.last >= target }
                    model.batches.removeAll { $0.last >= target }
                    model.end = min(target, cut?.base ?? target)
                    model.hw = min(model.hw, model.end)
                    model.start = min(model.start, model.end)
                }
            case 87..<91:
                guard model.hw > model.start else { continue }
                let target = Int64.random(in: model.start...model.hw, using: &rng)
                try log.deleteRecords(before: target)
                model.start = max(model.start, target)
            case 91..<94:
                var edited = config
                edited.retentionBytes = Int64(Int.random(in: 0...30_000, using: &rng))
                log.updateConfig(edited)
                try log.deleteOldSegments()
                log.updateConfig(config)
                let newStart = log.logStartOffset
                #expect(newStart >= model.start)
                #expect(newStart == model.start || newStart == model.end || model.batches.contains { $0.base == newStart } || log.segmentBaseOffsets.first == newStart)
                model.start = newStart
                model.hw = max(model.hw, newStart)
            case 94..<97:
                let checkpoints = try t.closeCleanly(log)
                (log, _) = try t.open(config, clean: true, checkpoints: checkpoints)
                try check("clean reopen at step \(step)")
            default:
                // Crash: no close; the recovery point may be stale. Sometimes a torn write too.
                let checkpoints = LogCheckpoints(recoveryPoint: log.recoveryPoint, logStartOffset: log.logStartOffset, highWatermark: log.highWatermark)
                if Bool.random(using: &rng), let last = log.segmentBaseOffsets.last {
                    let path = t.logDir + "/" + SegmentFileNames.offsetName(last) + ".log"
                    let garbage = makeBatch(count: 2, valueSize: 300)
                    let handle = try #require(FileHandle(forWritingAtPath: path))
                    handle.seekToEndOfFile()
                    handle.write(Data(garbage.prefix(Int.random(in: 1..<garbage.count, using: &rng))))
                    handle.closeFile()
                }
                let report: LogRecoveryReport
                (log, report) = try t.open(config, clean: false, checkpoints: checkpoints)
                #expect(report.deletedSegments.isEmpty, "step \(step): \(report.problems)")
                try check("unclean reopen at step \(step)")
            }
            if step % 25 == 0 { try check("step \(step)") }
        }
        try check("end")
    }
}

/// Random damage to random files of a closed log: opening after a crash never traps, never
/// hands out a batch that fails its CRC, and keeps every batch before the first damaged byte.
@Suite struct DamageFuzzTests {
    /// 24 seeds by default; LOGSTORE_DAMAGE_SEEDS=N runs N.
    static var seeds: [UInt64] {
        let count = ProcessInfo.processInfo.environment["LOGSTORE_DAMAGE_SEEDS"].flatMap { Int($0) } ?? 24
        return (1...max(1, count)).map { UInt64($0) }
    }

    @Test(arguments: DamageFuzzTests.seeds)
    func randomDamage(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed &* 7919)
        let t = TestLog()
        defer { t.dir.remove() }
        var config = LogConfig()
        config.segmentBytes = 6000
        config.indexIntervalBytes = 300
        var (log, _) = try t.open(config)
        for i in 0..<40 { try log.append(makeBatch(count: 1 + i % 3, valueSize: Int.random(in: 50...600, using: &rng), seed: i)) }
        let end = log.logEndOffset
        let checkpoints = try t.closeCleanly(log)
        let names = (try FileManager.default.contentsOfDirectory(atPath: t.logDir)).sorted()
        let victim = try #require(names.randomElement(using: &rng))
        let path = t.logDir + "/" + victim
        var bytes = readFile(path)
        var firstDamaged = bytes.count
        switch Int.random(in: 0..<4, using: &rng) {
        case 0 where !bytes.isEmpty:
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            bytes[at] ^= UInt8.random(in: 1...255, using: &rng)
            firstDamaged = at
        case 1 where !bytes.isEmpty:
            firstDamaged = Int.random(in: 0..<bytes.count, using: &rng)
            bytes.removeLast(bytes.count - firstDamaged)
        case 2 where !bytes.isEmpty:
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            let count = min(bytes.count - at, Int.random(in: 1...4096, using: &rng))
            for i in at..<(at + count) { bytes[i] = 0 }
            firstDamaged = at
        default:
            bytes += (0..<Int.random(in: 1...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        writeFile(path, bytes)
        // Damage to anything but segment data must be survived even after a clean shutdown
        // (nothing is scanned then); damaged data needs the unclean path's scan to be found.
        let clean = !victim.hasSuffix(".log") && Bool.random(using: &rng)
        (log, _) = try t.open(config, clean: clean, checkpoints: clean ? checkpoints : LogCheckpoints())
        // Everything readable is intact and in order.
        var next = log.logStartOffset
        var count = 0
        while next < log.logEndOffset {
            let chunk = try log.read(from: next, maxBytes: 1 << 20).readBytes()
            var iterator = RecordBatchIterator(chunk)
            var advanced = false
            while let entry = iterator.next() {
                let header = try RecordBatchHeader.validate(chunk[entry.range], .stored)
                #expect(header.baseOffset >= next)
                next = header.nextOffset
                count += 1
                advanced = true
            }
            if !advanced { break }
        }
        #expect(next == log.logEndOffset)
        // What lay before the damage survives: all of it unless a segment file was hit.
        if victim.hasSuffix(".log"), let base = Int64(victim.prefix(20)) {
            let headers = FormatTests.parseLog(Array(readFile(path).prefix(firstDamaged))).batches
            let intactBefore = headers.filter { $0.position + $0.size <= firstDamaged }.last?.lastOffset ?? (base - 1)
            #expect(log.logEndOffset >= intactBefore + 1)
        } else {
            #expect(log.logEndOffset == end)
        }
        // And the log takes appends again.
        #expect(try log.append(makeBatch()).firstOffset == log.logEndOffset - 1)
    }
}
