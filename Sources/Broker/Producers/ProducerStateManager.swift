/// Idempotent-producer state of one partition, as Kafka keeps it (ProducerStateManager):
/// per producer id its epoch and the metadata of its last five batches, so a retried batch is
/// recognised and answered with its original offsets instead of being written twice, a gap in
/// sequence numbers is refused, and an older epoch is fenced.
///
/// Works on batch headers only (producer id, epoch, base sequence, offsets, timestamp): no
/// record is parsed. Not thread-safe: the partition's appender owns it.
public struct ProducerStateManager: Sendable {
    public static let retainedBatches = 5

    public struct BatchMetadata: Sendable, Hashable {
        public var firstSequence: Int32
        public var lastSequence: Int32
        public var firstOffset: Int64
        public var lastOffset: Int64
        public var timestamp: Int64
    }

    public struct Entry: Sendable, Hashable {
        public var producerId: Int64
        public var epoch: Int16
        /// Oldest first, at most `retainedBatches`.
        public var batches: [BatchMetadata]
        public var lastTimestamp: Int64
        public var coordinatorEpoch: Int32 = -1
        public var currentTxnFirstOffset: Int64 = -1

        public var lastSequence: Int32 { batches.last?.lastSequence ?? -1 }
        public var lastOffset: Int64 { batches.last?.lastOffset ?? -1 }
    }

    /// A producer batch's header fields, as the log sees them.
    public struct BatchHeader: Sendable, Hashable {
        public var producerId: Int64
        public var epoch: Int16
        public var baseSequence: Int32
        public var lastOffsetDelta: Int32
        public var maxTimestamp: Int64

        public init(producerId: Int64, epoch: Int16, baseSequence: Int32, lastOffsetDelta: Int32, maxTimestamp: Int64) {
            self.producerId = producerId
            self.epoch = epoch
            self.baseSequence = baseSequence
            self.lastOffsetDelta = lastOffsetDelta
            self.maxTimestamp = maxTimestamp
        }

        public var lastSequence: Int32 {
            // Sequences wrap at Int32.max back to 0.
            let sum = Int64(baseSequence) + Int64(lastOffsetDelta)
            return Int32(truncatingIfNeeded: sum > Int64(Int32.max) ? sum - Int64(Int32.max) - 1 : sum)
        }
    }

    /// What to do with a producer batch about to be appended.
    public enum Check: Sendable, Equatable {
        /// Append it.
        case append
        /// Already in the log: answer with these offsets, write nothing.
        case duplicate(firstOffset: Int64, lastOffset: Int64)
        /// OUT_OF_ORDER_SEQUENCE_NUMBER.
        case outOfOrder(String)
        /// INVALID_PRODUCER_EPOCH: an older epoch than the producer's current one.
        case staleEpoch(String)
    }

    public private(set) var producers: [Int64: Entry] = [:]

    public init() {}

    public init(entries: [Entry]) {
        for e in entries { producers[e.producerId] = e }
    }

    static func inSequence(last: Int32, next: Int32) -> Bool {
        Int64(next) == Int64(last) + 1 || (next == 0 && last == Int32.max)
    }

    /// Kafka's checks, in Kafka's order: duplicate first, then epoch, then sequence.
    public func check(_ batch: BatchHeader) -> Check {
        guard let entry = producers[batch.producerId] else {
            // Unknown producer: any first sequence is accepted (its state may have expired or
            // been removed with old segments), as Kafka does when it has no epoch on record.
            return .append
        }
        if batch.epoch == entry.epoch,
            let dup = entry.batches.first(where: { $0.firstSequence == batch.baseSequence && $0.lastSequence == batch.lastSequence })
        {
            return .duplicate(firstOffset: dup.firstOffset, lastOffset: dup.lastOffset)
        }
        if batch.epoch < entry.epoch {
            return .staleEpoch("Epoch of producer \(batch.producerId) at offset is \(batch.epoch), which is smaller than the last seen epoch \(entry.epoch)")
        }
        if batch.epoch > entry.epoch {
            if batch.baseSequence != 0 {
                return .outOfOrder("Invalid sequence number for new epoch of producer \(batch.producerId) at epoch \(batch.epoch) (request epoch), \(batch.baseSequence) (seq. number), \(entry.epoch) (current producer epoch)")
            }
            return .append
        }
        if !entry.batches.isEmpty && !Self.inSequence(last: entry.lastSequence, next: batch.baseSequence) {
            return .outOfOrder("Out of order sequence number for producer \(batch.producerId) at offset: \(batch.baseSequence) (incoming seq. number), \(entry.lastSequence) (current end sequence number)")
        }
        return .append
    }

    /// Records an appended producer batch at its assigned offsets.
    public mutating func record(_ batch: BatchHeader, firstOffset: Int64) {
        var entry = producers[batch.producerId]
            ?? Entry(producerId: batch.producerId, epoch: batch.epoch, batches: [], lastTimestamp: batch.maxTimestamp)
        if batch.epoch != entry.epoch {
            entry.epoch = batch.epoch
            entry.batches = []
        }
        entry.batches.append(BatchMetadata(
            firstSequence: batch.baseSequence, lastSequence: batch.lastSequence, firstOffset: firstOffset,
            lastOffset: firstOffset + Int64(batch.lastOffsetDelta), timestamp: batch.maxTimestamp))
        if entry.batches.count > Self.retainedBatches { entry.batches.removeFirst(entry.batches.count - Self.retainedBatches) }
        entry.lastTimestamp = batch.maxTimestamp
        producers[batch.producerId] = entry
    }

    /// Forgets producers idle for longer than `producer.id.expiration.ms`.
    public mutating func expire(now: Int64, expirationMs: Int64) {
        producers = producers.filter { $0.value.currentTxnFirstOffset >= 0 || now - $0.value.lastTimestamp < expirationMs }
    }

    /// Forgets batches at or after `offset` (the log was truncated there).
    public mutating func truncate(from offset: Int64) {
        for (id, var entry) in producers {
            entry.batches.removeAll { $0.lastOffset >= offset }
            producers[id] = entry.batches.isEmpty ? nil : entry
        }
    }
}
