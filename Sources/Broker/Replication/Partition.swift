import Foundation
import KafkaProtocol
import KafkaRecords
import LogStore
import Synchronization

/// One partition this broker holds a replica of: its log, its leader epoch, the in-sync
/// replicas, and the idempotent-producer state that must change together with the log.
///
/// Appends are serialised by `appendLock` (the producer-state check and the write are one
/// step); reads never take it: they go to the log, which lets readers run beside the appender.
public final class Partition: Sendable {
    public let topicPartition: TopicPartition
    public let log: Log

    struct State {
        var leaderEpoch: Int32
        var isr: [Int32]
        var producers: ProducerStateManager
    }

    let state: Mutex<State>
    let appendLock = Mutex<Void>(())

    init(topicPartition: TopicPartition, log: Log, leaderEpoch: Int32, isr: [Int32], producers: ProducerStateManager) {
        self.topicPartition = topicPartition
        self.log = log
        self.state = Mutex(State(leaderEpoch: leaderEpoch, isr: isr, producers: producers))
    }

    public var leaderEpoch: Int32 { state.withLock { $0.leaderEpoch } }
    public var isrCount: Int { state.withLock { $0.isr.count } }

    /// What a leader append produced, for the Produce response.
    public struct AppendResult: Sendable, Equatable {
        public var baseOffset: Int64
        public var lastOffset: Int64
        public var logAppendTime: Int64
        public var logStartOffset: Int64
    }

    /// Appends one validated producer batch as leader: producer checks, the write, and (with a
    /// single replica) the high watermark, under the append lock.
    func appendAsLeader(_ batch: inout [UInt8], header: RecordBatchHeader) -> Result<AppendResult, PartitionError> {
        appendLock.withLock { _ in
            let epoch = leaderEpoch
            let producerBatch = header.producerId >= 0
                ? ProducerStateManager.BatchHeader(
                    producerId: header.producerId, epoch: header.producerEpoch, baseSequence: header.baseSequence,
                    lastOffsetDelta: header.lastOffsetDelta, maxTimestamp: header.maxTimestamp)
                : nil
            if let producerBatch {
                switch state.withLock({ $0.producers.check(producerBatch) }) {
                case .append: break
                case .duplicate(let first, let last):
                    return .success(AppendResult(baseOffset: first, lastOffset: last, logAppendTime: -1, logStartOffset: log.logStartOffset))
                case .outOfOrder(let message): return .failure(.init(.outOfOrderSequenceNumber, message))
                case .staleEpoch(let message): return .failure(.init(.invalidProducerEpoch, message))
                }
            }
            let info: LogAppendInfo
            let segmentBefore = log.activeSegmentBaseOffset
            do throws(LogError) {
                info = try log.append(&batch, options: AppendOptions(leaderEpoch: epoch, verifyChecksums: false))
            } catch {
                return .failure(PartitionError(log: error))
            }
            // As Kafka does on roll: the producer state as of the new segment's base offset
            // (before this batch is recorded), so a restart after a crash reads only the
            // segments after it instead of the whole log.
            if log.activeSegmentBaseOffset != segmentBefore {
                snapshotProducers(directory: log.directory, at: info.firstOffset)
            }
            if let producerBatch {
                state.withLock { $0.producers.record(producerBatch, firstOffset: info.firstOffset) }
            }
            // With this replica the only one in sync, the high watermark follows the log end.
            if isrCount <= 1 { _ = log.updateHighWatermark(log.logEndOffset) }
            return .success(AppendResult(
                baseOffset: info.firstOffset, lastOffset: info.lastOffset, logAppendTime: info.logAppendTime,
                logStartOffset: info.logStartOffset))
        }
    }

    // MARK: Producer state persistence

    /// Writes `<log end offset>.snapshot` and removes older snapshots (clean shutdown, roll).
    func snapshotProducers(directory: String, at offset: Int64? = nil) {
        let end = offset ?? log.logEndOffset
        let bytes = state.withLock { ProducerSnapshot.encode($0.producers) }
        let url = URL(fileURLWithPath: directory).appendingPathComponent(ProducerSnapshot.fileName(offset: end))
        do {
            try AtomicFile.write(bytes, to: url)
            for old in Self.snapshotOffsets(directory: directory) where old != end {
                try? FileManager.default.removeItem(atPath: directory + "/" + ProducerSnapshot.fileName(offset: old))
            }
        } catch {
            // A missing snapshot only means a longer rebuild at the next start.
        }
    }

    static func snapshotOffsets(directory: String) -> [Int64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in
            guard name.hasSuffix(".snapshot") else { return nil }
            return Int64(name.dropLast(".snapshot".count))
        }.sorted()
    }

    /// Producer state of a log: the newest snapshot at or below the log end, then the batch
    /// headers after it (records are never parsed). A clean shutdown leaves a snapshot at the
    /// log end, so nothing is read then.
    static func loadProducers(log: Log, directory: String, onDamage: (String) -> Void) -> ProducerStateManager {
        let end = log.logEndOffset
        var state = ProducerStateManager()
        var from = log.logStartOffset
        for offset in snapshotOffsets(directory: directory).reversed() where offset <= end {
            let path = directory + "/" + ProducerSnapshot.fileName(offset: offset)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            do {
                state = try ProducerSnapshot.decode([UInt8](data))
                from = max(offset, log.logStartOffset)
                break
            } catch {
                onDamage("producer snapshot \(path) is unusable (\(error)); rebuilding from the log")
            }
        }
        while from < end {
            guard let read = try? log.read(from: from, maxBytes: 8 << 20, upTo: nil, minOneMessage: true),
                let bytes = try? read.readBytes(), !bytes.isEmpty
            else { break }
            var next = from
            for entry in RecordBatchIterator(bytes) {
                guard let header = entry.header else { continue }
                next = header.nextOffset
                guard header.producerId >= 0, header.lastOffset >= from else { continue }
                state.record(
                    .init(producerId: header.producerId, epoch: header.producerEpoch, baseSequence: header.baseSequence,
                          lastOffsetDelta: header.lastOffsetDelta, maxTimestamp: header.maxTimestamp),
                    firstOffset: header.baseOffset)
            }
            if next <= from { break }
            from = next
        }
        return state
    }
}

/// A partition-level failure: Kafka's code and message, the same shape as an admin failure.
public typealias PartitionError = AdminError

extension AdminError {
    init(log error: LogError) {
        self.init(ErrorCode(code: error.kafkaErrorCode), error.description)
    }
}
