import Benchmark
import KafkaRecords

// What the broker's produce path costs per byte, against the cost of touching the bytes at all.
//
// Every benchmark makes one pass over the same blob: exactly 1 MiB (1,048,576 bytes) of
// uncompressed magic-2 batches of about 16 KiB, holding 100-byte JSON records with 10-byte keys
// (what a perf-test producer sends). One iteration is one pass, so the `throughput` metric
// (iterations per second) is MiB/s, and MB/s = throughput × 1.048576.
//
// memcpy is the baseline measured in the same run: the other figures are read as ratios to it,
// since this shared machine's absolute speeds move between runs.

/// Back-to-back batches of about 16 KiB filling exactly 1 MiB: the last batch ends with one
/// padding record sized so the blob is 1,048,576 bytes.
func makeBlob() -> [UInt8] {
    let target = 1 << 20
    let batchTarget = 16 * 1024
    var blob: [UInt8] = []
    blob.reserveCapacity(target)
    var sequence = 0
    while blob.count < target {
        let remaining = target - blob.count
        let isLast = remaining < 2 * batchTarget
        var builder = RecordBatchBuilder(producerId: 1, producerEpoch: 0, baseSequence: Int32(sequence))
        var estimated = 61
        while estimated < (isLast ? remaining - 400 : batchTarget - 130) {
            builder.append(key: Array(keyText(sequence % 1000).utf8), value: recordValue(sequence),
                           timestamp: 1_700_000_000_000 + Int64(sequence))
            estimated += 120
            sequence += 1
        }
        // The builder cannot fail on these records; a failure shows as a short blob.
        guard var batch = try? builder.build() else { return blob }
        if isLast {
            // Grow one padding record until the blob is exactly the target size.
            for padding in 0..<1000 {
                var padded = builder
                padded.append(key: nil, value: [UInt8](repeating: 0x20, count: padding), timestamp: 1_700_000_000_000)
                guard let candidate = try? padded.build() else { return blob }
                if blob.count + candidate.count >= target {
                    batch = candidate
                    break
                }
            }
        }
        blob.append(contentsOf: batch)
    }
    return blob
}

/// 100 bytes of JSON, as a perf-test producer might send.
func recordValue(_ sequence: Int) -> [UInt8] {
    var value = Array("{\"id\":\(sequence),\"user\":\"u\(sequence % 977)\",\"event\":\"page_view\",\"path\":\"/p/\(sequence % 131)\"".utf8)
    while value.count < 99 { value.append(0x20) }
    value.append(UInt8(ascii: "}"))
    return value
}

/// "key-000123": a 10-byte key.
func keyText(_ number: Int) -> String {
    let digits = "\(number)"
    return "key-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
}

let benchmarks: @Sendable () -> Void = {
    let blob = makeBlob()
    let batchCount = Array(RecordBatchIterator(blob)).count
    print("blob: \(blob.count) bytes in \(batchCount) batches")

    let configuration = Benchmark.Configuration(
        metrics: [.throughput, .wallClock],
        timeUnits: .nanoseconds,
        units: [.throughput: .count],
        warmupIterations: 10,
        maxDuration: .seconds(2),
        maxIterations: 100_000)

    Benchmark("memcpy 1 MiB (baseline)", configuration: configuration) { benchmark in
        var target = [UInt8](repeating: 0, count: blob.count)
        benchmark.startMeasurement()
        target.withUnsafeMutableBytes { destination in
            blob.withUnsafeBytes { source in
                destination.copyMemory(from: source)
            }
        }
        benchmark.stopMeasurement()
        blackHole(target)
    }

    Benchmark("CRC-32C hardware 1 MiB", configuration: configuration) { _ in
        blackHole(blob.withUnsafeBytes { CRC32C.checksum($0) })
    }

    Benchmark("CRC-32C portable 1 MiB", configuration: configuration) { _ in
        blackHole(blob.withUnsafeBytes { CRC32C.portableChecksum($0) })
    }

    Benchmark("Validate batches (header + CRC-32C) 1 MiB", configuration: configuration) { _ in
        var valid = 0
        var iterator = RecordBatchIterator(blob)
        while let entry = iterator.next() {
            if (try? RecordBatchHeader.validate(blob[entry.range], .produce)) != nil { valid += 1 }
        }
        blackHole(valid)
    }
}
