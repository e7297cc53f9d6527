import Foundation
import KafkaRecords
import LogStore
import Testing

@testable import Broker

/// A roll writes the producer state as of the new segment's base offset, as Kafka does, so an
/// unclean restart reads only the segments after it.
@Suite struct ProducerSnapshotOnRollTests {
    func idempotentBatch(sequence: Int32, producerId: Int64 = 42) throws -> ([UInt8], RecordBatchHeader) {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: 0, baseSequence: sequence)
        for i in 0..<4 { builder.append(key: nil, value: Array(repeating: UInt8(i), count: 200), timestamp: 1_000) }
        let bytes = try builder.build()
        return (bytes, try RecordBatchHeader(parsing: bytes))
    }

    @Test func rollSnapshotsProducerStateAndAnUncleanRestartUsesIt() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-roll-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tp = TopicPartition(topic: "t", partition: 0)
        var config = LogConfig()
        config.segmentBytes = 2_000
        let (log, _) = try Log.open(directory: root + "/t-0", topicPartition: tp, config: config, cleanShutdown: true)
        let partition = Partition(topicPartition: tp, log: log, leaderEpoch: 0, isr: [0], producers: ProducerStateManager())
        var lastBatch: (bytes: [UInt8], first: Int64, last: Int64)?
        for i in 0..<12 {
            var (bytes, header) = try idempotentBatch(sequence: Int32(i * 4))
            let original = bytes
            guard case .success(let result) = partition.appendAsLeader(&bytes, header: header) else {
                Issue.record("append \(i) failed")
                return
            }
            lastBatch = (original, result.baseOffset, result.lastOffset)
        }
        let segments = log.segmentBaseOffsets
        #expect(segments.count > 2)
        // One snapshot, at the active segment's base offset (older ones are replaced).
        #expect(Partition.snapshotOffsets(directory: log.directory) == [segments.last ?? -1])

        // "Crash": no shutdown snapshot; reload from the roll snapshot plus the tail.
        let reloaded = Partition.loadProducers(log: log, directory: log.directory) { Issue.record("damage: \($0)") }
        // Kafka's snapshot keeps each producer's last batch; the segment after it adds its own.
        #expect(reloaded.producers[42]?.batches.last?.firstOffset == lastBatch?.first)
        #expect((reloaded.producers[42]?.batches.count ?? 0) >= 2)
        let restarted = Partition(topicPartition: tp, log: log, leaderEpoch: 0, isr: [0], producers: reloaded)
        // The producer retries its last batch: acknowledged at its original offsets, not rewritten.
        guard let lastBatch else { return }
        var retry = lastBatch.bytes
        let end = log.logEndOffset
        guard case .success(let dup) = restarted.appendAsLeader(&retry, header: try RecordBatchHeader(parsing: lastBatch.bytes)) else {
            Issue.record("retry refused")
            return
        }
        #expect(dup.baseOffset == lastBatch.first && dup.lastOffset == lastBatch.last)
        #expect(log.logEndOffset == end)
        try log.close()
    }
}
