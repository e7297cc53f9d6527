import Foundation
import KafkaRecords
import Synchronization
import Testing
@testable import LogStore

/// A seeded generator, so every "random" test is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A fresh directory under /tmp, removed when the value is released by `remove()`.
struct TempDir {
    let path: String
    init(_ name: String = "logstore") {
        let template = FileManager.default.temporaryDirectory.path + "/\(name)-XXXXXX"
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? template
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// Collects what a log says.
final class LineSink: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var sink: @Sendable (String) -> Void { { line in self.lines.withLock { $0.append(line) } } }
}

/// A clock the test moves.
final class ManualClock: Sendable {
    private let value: Atomic<Int64>
    init(_ start: Int64 = 1_700_000_000_000) { value = Atomic(start) }
    var now: Int64 { value.load(ordering: .relaxed) }
    func advance(_ ms: Int64) { value.add(ms, ordering: .relaxed) }
    var clock: @Sendable () -> Int64 { { self.now } }
}

struct TestLog {
    let dir: TempDir
    let sink = LineSink()
    let clock = ManualClock()
    let stats = IOStats()
    var environment: LogEnvironment { LogEnvironment(log: sink.sink, clock: clock.clock, stats: stats) }
    let tp = TopicPartition(topic: "test", partition: 0)
    var logDir: String { dir.path + "/" + tp.directoryName }

    init() { dir = TempDir() }

    func open(_ config: LogConfig = LogConfig(), clean: Bool = true, checkpoints: LogCheckpoints = LogCheckpoints()) throws -> (Log, LogRecoveryReport) {
        try Log.open(directory: logDir, topicPartition: tp, config: config, checkpoints: checkpoints, cleanShutdown: clean, environment: environment)
    }

    /// Closes `log` and returns the checkpoints a manager would have written.
    func closeCleanly(_ log: Log) throws -> LogCheckpoints {
        try log.close()
        return LogCheckpoints(recoveryPoint: log.recoveryPoint, logStartOffset: log.logStartOffset, highWatermark: log.highWatermark)
    }

    func segmentFiles(_ suffix: String = ".log") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: logDir)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }
}

/// A producer-style batch (baseOffset 0) of `count` records with the given value size.
func makeBatch(count: Int = 1, valueSize: Int = 16, timestamp: Int64 = 1_700_000_000_000, keyPrefix: String = "k", seed: Int = 0,
               producerId: Int64 = -1, baseSequence: Int32 = -1) -> [UInt8] {
    var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: producerId >= 0 ? 0 : -1, baseSequence: baseSequence)
    for i in 0..<count {
        let value = [UInt8](repeating: UInt8(truncatingIfNeeded: seed &+ i), count: valueSize)
        builder.append(key: Array("\(keyPrefix)\(i)".utf8), value: value, timestamp: timestamp + Int64(i))
    }
    return (try? builder.build()) ?? []
}

/// A batch of keyed records (nil value = tombstone).
func makeKeyedBatch(_ records: [(key: String, value: String?)], timestamp: Int64 = 1_700_000_000_000, producerId: Int64 = -1) -> [UInt8] {
    var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: producerId >= 0 ? 0 : -1, baseSequence: producerId >= 0 ? 0 : -1)
    for (i, record) in records.enumerated() {
        builder.append(key: Array(record.key.utf8), value: record.value.map { Array($0.utf8) }, timestamp: timestamp + Int64(i))
    }
    return (try? builder.build()) ?? []
}

/// Complete batches in bytes read from a log (a cut-off last batch is ignored).
func batches(in bytes: [UInt8]) -> [RecordBatchHeader] {
    var iterator = RecordBatchIterator(bytes)
    var result: [RecordBatchHeader] = []
    while let entry = iterator.next() {
        if let header = entry.header { result.append(header) }
    }
    return result
}

/// Every batch readable from `offset` up to the end (or `bound`), following segments.
func readAll(_ log: Log, from offset: Int64? = nil, upTo bound: Int64? = nil) throws -> [RecordBatchHeader] {
    var next = offset ?? log.logStartOffset
    var result: [RecordBatchHeader] = []
    while true {
        let read = try log.read(from: next, maxBytes: 1 << 20, upTo: bound)
        let found = batches(in: try read.readBytes())
        guard let last = found.last else { break }
        for header in found where header.lastOffset >= next { result.append(header) }
        next = last.nextOffset
    }
    return result
}

func records(in bytes: [UInt8]) -> [Record] {
    ((try? RecordBatch.decodeAll(bytes[...])) ?? []).flatMap(\.records)
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? -1
}

func readFile(_ path: String) -> [UInt8] {
    (FileManager.default.contents(atPath: path)).map { [UInt8]($0) } ?? []
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

extension LogError {
    var code: Int16 { kafkaErrorCode }
}

/// The Kafka error name `body` fails with, or nil if it succeeds.
func errorName<R>(_ body: () throws -> R) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as LogError {
        return error.kafkaErrorName
    } catch {
        return "\(error)"
    }
}
