// LogStore throughput beside the raw system calls it is built on, measured in the same run on
// the same file system, printed as a table with the ratio.
//
//   cd Benchmarks && swift run -c release LogStoreBenchmarks [directory] [MiB per run]
//
// Append: `Log.append` of pre-built batches (offsets assigned in place, one pwrite per batch)
// against a plain `write()` loop of the same bytes to one file. Read: `Log.read` regions sent
// to a loopback TCP socket with `sendfile` (1 MiB fetches, the consumer's next offset computed
// from whole batches) against `sendfile` of the same byte ranges of the segment file; and the
// same regions `pread` into memory against `pread` of those ranges. Each figure is the median of nine
// runs (alternating which side goes first), with the ratio of the best runs beside it (the
// figure least disturbed by other work on a shared machine); files are in the page cache, as
// a broker's recent data is.
#if canImport(Glibc)
import Glibc
#endif
import BenchmarkSupport
import Dispatch
import KafkaRecords
import LogStore

let arguments = CommandLine.arguments
let root = arguments.count > 1 ? arguments[1] : "/tmp/petrel-logstore-bench"
let mibPerRun = arguments.count > 2 ? (Int(arguments[2]) ?? 256) : 256
let runs = 9

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func removeTree(_ path: String) {
    if let dir = opendir(path) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var info = stat()
            if lstat(child, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
        }
        closedir(dir)
        rmdir(path)
    }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// One uncompressed batch of about `size` bytes (100-byte records), offsets unassigned, with
/// current timestamps (old ones would make every append roll by segment.ms, as in Kafka).
func makeBatch(size: Int) -> [UInt8] {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    let nowMs = Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    var builder = RecordBatchBuilder()
    var estimate = 61
    var i = 0
    while estimate + 120 <= size {
        builder.append(key: Array("key-\(i % 1000)".utf8), value: [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 100),
                       timestamp: nowMs + Int64(i))
        estimate += 120
        i += 1
    }
    if builder.isEmpty { builder.append(key: nil, value: [UInt8](repeating: 1, count: max(1, size - 80)), timestamp: nowMs) }
    return (try? builder.build()) ?? []
}

struct Row {
    var name: String
    var baselineRuns: [Double]
    var measuredRuns: [Double]
    var note: String
    var baseline: Double { median(baselineRuns) }
    var measured: Double { median(measuredRuns) }
    /// Best against best: the figure least disturbed by other work on a shared machine.
    var bestRatio: Double { (measuredRuns.max() ?? 0) / (baselineRuns.max() ?? 1) }
}
var rows: [Row] = []

func mbps(_ bytes: Int, _ seconds: Double) -> Double { Double(bytes) / seconds / 1e6 }

// MARK: Append

func rawWriteLoop(_ batch: [UInt8], total: Int, path: String) -> Double {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    precondition(fd >= 0, "open \(path)")
    let count = total / batch.count
    let start = now()
    batch.withUnsafeBytes { raw in
        for _ in 0..<count {
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                precondition(n > 0, "write")
                done += n
            }
        }
    }
    let elapsed = now() - start
    close(fd)
    unlink(path)
    return mbps(count * batch.count, elapsed)
}

func logAppendLoop(_ template: [UInt8], total: Int, dir: String, verifyChecksums: Bool) -> Double {
    removeTree(dir)
    let tp = TopicPartition(topic: "bench", partition: 0)
    guard let (log, _) = try? Log.open(directory: dir, topicPartition: tp, config: LogConfig(), cleanShutdown: true) else {
        fatalError("open log")
    }
    var batch = template
    let count = total / batch.count
    let options = AppendOptions(leaderEpoch: 1, verifyChecksums: verifyChecksums)
    let start = now()
    batch.withUnsafeMutableBytes { raw in
        for _ in 0..<count {
            do { _ = try log.append(raw, options: options) } catch { fatalError("append: \(error)") }
        }
    }
    let elapsed = now() - start
    try? log.close()
    removeTree(dir)
    return mbps(count * batch.count, elapsed)
}

removeTree(root)
mkdir(root, 0o755)
let total = mibPerRun << 20
for (label, size) in [("1 KiB", 1024), ("16 KiB", 16 * 1024), ("1 MiB", 1 << 20)] {
    let batch = makeBatch(size: size)
    var raw: [Double] = []
    var trusted: [Double] = []
    var checked: [Double] = []
    for run in 0..<runs {
        if run % 2 == 0 { raw.append(rawWriteLoop(batch, total: total, path: root + "/raw.bin")) }
        trusted.append(logAppendLoop(batch, total: total, dir: root + "/bench-0", verifyChecksums: false))
        checked.append(logAppendLoop(batch, total: total, dir: root + "/bench-0", verifyChecksums: true))
        if run % 2 == 1 { raw.append(rawWriteLoop(batch, total: total, path: root + "/raw.bin")) }
    }
    rows.append(Row(name: "append \(label) batches", baselineRuns: raw, measuredRuns: trusted, note: "write() loop; CRC checked by caller"))
    rows.append(Row(name: "append \(label) batches, CRC re-checked", baselineRuns: raw, measuredRuns: checked, note: "write() loop; verifyChecksums"))
}

// MARK: Read

/// A loopback TCP connection whose far end a thread drains.
func loopbackSink() -> (fd: Int32, done: DispatchSemaphore) {
    let pair = LoopbackPair(noDelay: false, nonBlocking: false)
    let client = pair.a
    let server = pair.b
    let done = DispatchSemaphore(value: 0)
    let drain = server
    Thread.detach {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while buffer.withUnsafeMutableBytes({ read(drain, $0.baseAddress, $0.count) }) > 0 {}
        close(drain)
        done.signal()
    }
    return (client, done)
}

enum Thread {
    static func detach(_ body: @escaping @Sendable () -> Void) {
        DispatchQueue.global().async(execute: body)
    }
}

func sendAll(to socket: Int32, from fd: Int32, offset: Int64, count: Int) {
    var position = off_t(offset)
    var remaining = count
    while remaining > 0 {
        let n = sendfile(socket, fd, &position, remaining)
        precondition(n > 0, "sendfile errno \(errno)")
        remaining -= n
    }
}

let fetchSize = 1 << 20
let readDir = root + "/read-0"
removeTree(readDir)
let batch16 = makeBatch(size: 16 * 1024)
let recordsPerBatch = Int64((try? RecordBatchHeader(parsing: batch16))?.recordsCount ?? 1)
let readTotal = (total / batch16.count) * batch16.count
do {
    let tp = TopicPartition(topic: "bench", partition: 0)
    guard let (log, _) = try? Log.open(directory: readDir, topicPartition: tp, config: LogConfig(), cleanShutdown: true) else { fatalError() }
    for _ in 0..<(total / batch16.count) { _ = try? log.append(batch16) }
    try? log.close()
}
let tp = TopicPartition(topic: "bench", partition: 0)
guard let (readLog, _) = try? Log.open(directory: readDir, topicPartition: tp, config: LogConfig(), cleanShutdown: false) else { fatalError() }
readLog.updateHighWatermark(readLog.logEndOffset)
let segmentPath = readDir + "/00000000000000000000.log"

func rawSendfile() -> Double {
    let fd = open(segmentPath, O_RDONLY)
    let sink = loopbackSink()
    let start = now()
    // The same fetches a consumer makes: 1 MiB from a batch boundary, the cut-off batch again
    // in the next fetch.
    var position = 0
    var sent = 0
    while position < readTotal {
        let count = min(fetchSize, readTotal - position)
        sendAll(to: sink.fd, from: fd, offset: Int64(position), count: count)
        sent += count
        position += (count / batch16.count) * batch16.count
    }
    let elapsed = now() - start
    close(sink.fd)
    sink.done.wait()
    close(fd)
    return mbps(sent, elapsed)
}

/// Fetches as a consumer would: the next offset follows the last whole batch received.
func logSendfile() -> Double {
    let sink = loopbackSink()
    let start = now()
    var offset: Int64 = 0
    var sent = 0
    while offset < readLog.logEndOffset {
        guard let result = try? readLog.read(from: offset, maxBytes: fetchSize, upTo: readLog.highWatermark) else { fatalError("read") }
        for region in result.regions { sendAll(to: sink.fd, from: region.fd, offset: region.offset, count: region.count) }
        sent += result.byteCount
        offset += Int64(result.byteCount / batch16.count) * recordsPerBatch
    }
    let elapsed = now() - start
    close(sink.fd)
    sink.done.wait()
    return mbps(sent, elapsed)
}

func rawPread() -> Double {
    let fd = open(segmentPath, O_RDONLY)
    var buffer = [UInt8](repeating: 0, count: fetchSize)
    let start = now()
    var position = 0
    var got = 0
    while position < readTotal {
        let count = min(fetchSize, readTotal - position)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(position)) }
        precondition(n == count)
        got += count
        position += (count / batch16.count) * batch16.count
    }
    let elapsed = now() - start
    close(fd)
    return mbps(got, elapsed)
}

func logPread() -> Double {
    var buffer = [UInt8](repeating: 0, count: fetchSize + batch16.count)
    let start = now()
    var offset: Int64 = 0
    var got = 0
    while offset < readLog.logEndOffset {
        guard let result = try? readLog.read(from: offset, maxBytes: fetchSize, upTo: readLog.highWatermark) else { fatalError("read") }
        for region in result.regions {
            let n = buffer.withUnsafeMutableBytes { pread(region.fd, $0.baseAddress, region.count, off_t(region.offset)) }
            precondition(n == region.count)
        }
        got += result.byteCount
        offset += Int64(result.byteCount / batch16.count) * recordsPerBatch
    }
    let elapsed = now() - start
    return mbps(got, elapsed)
}

_ = rawSendfile()
_ = logSendfile()
var rawSend: [Double] = [], logSend: [Double] = [], rawMem: [Double] = [], logMem: [Double] = []
// Alternate which side goes first, so neither gains from the other's warm-up.
for run in 0..<runs {
    if run % 2 == 0 {
        rawSend.append(rawSendfile())
        logSend.append(logSendfile())
        rawMem.append(rawPread())
        logMem.append(logPread())
    } else {
        logSend.append(logSendfile())
        rawSend.append(rawSendfile())
        logMem.append(logPread())
        rawMem.append(rawPread())
    }
}
rows.append(Row(name: "read 16 KiB batches, 1 MiB fetches -> socket", baselineRuns: rawSend, measuredRuns: logSend, note: "sendfile() of the same ranges"))
rows.append(Row(name: "read 16 KiB batches, 1 MiB fetches -> memory", baselineRuns: rawMem, measuredRuns: logMem, note: "pread() of the same ranges"))
try? readLog.close()
removeTree(root)

func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
func fmt(_ value: Double) -> String {
    let rounded = Int(value.rounded())
    var digits = String(rounded)
    var grouped = ""
    while digits.count > 3 {
        grouped = "," + digits.suffix(3) + grouped
        digits.removeLast(3)
    }
    return digits + grouped
}
print("LogStore benchmarks: \(mibPerRun) MiB per run, median of \(runs) runs, directory \(root)")
print("")
print("| " + pad("benchmark", 44) + " | baseline MB/s | LogStore MB/s | ratio | best/best | baseline |")
print("|" + String(repeating: "-", count: 46) + "|---------------|---------------|-------|-----------|----------|")
func percent(_ value: Double) -> String { String(Int((value * 100).rounded())) + " %" }
for row in rows {
    print("| " + pad(row.name, 44) + " | " + pad(fmt(row.baseline), 13) + " | " + pad(fmt(row.measured), 13) + " | "
        + pad(percent(row.measured / row.baseline), 5) + " | " + pad(percent(row.bestRatio), 9) + " | " + row.note + " |")
}
