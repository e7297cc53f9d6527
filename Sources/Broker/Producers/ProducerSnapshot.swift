import KafkaRecords
import Wire

/// The `<offset>.snapshot` file Kafka writes in a partition directory: producer state as of an
/// offset, so opening a log replays only the batches after it.
///
/// Layout (Kafka's ProducerStateManager, version 1), all big-endian:
/// `version int16 = 1 | crc uint32 (CRC-32C of everything after it) | count int32 |` then per
/// producer `producerId int64 | epoch int16 | lastSequence int32 | lastOffset int64 |
/// offsetDelta int32 | timestamp int64 | coordinatorEpoch int32 | currentTxnFirstOffset int64`.
/// Only the newest batch of each producer survives a snapshot, as in Kafka.
public enum ProducerSnapshot {
    public static let version: Int16 = 1

    public enum Failure: Error, Equatable {
        case unsupportedVersion(Int16)
        case checksumMismatch
        case malformed(WireError)
    }

    public static func fileName(offset: Int64) -> String {
        let digits = String(offset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".snapshot"
    }

    public static func encode(_ state: ProducerStateManager) -> [UInt8] {
        var body = ByteWriter()
        let entries = state.producers.values.sorted { $0.producerId < $1.producerId }
        body.writeInt32(Int32(entries.count))
        for e in entries {
            let last = e.batches.last
            body.writeInt64(e.producerId)
            body.writeInt16(e.epoch)
            body.writeInt32(last?.lastSequence ?? -1)
            body.writeInt64(last?.lastOffset ?? -1)
            body.writeInt32(Int32(truncatingIfNeeded: (last?.lastOffset ?? 0) - (last?.firstOffset ?? 0)))
            body.writeInt64(e.lastTimestamp)
            body.writeInt32(e.coordinatorEpoch)
            body.writeInt64(e.currentTxnFirstOffset)
        }
        var out = ByteWriter()
        out.writeInt16(version)
        out.writeUInt32(CRC32C.checksum(body.bytes))
        out.writeBytes(body.bytes)
        return out.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(Failure) -> ProducerStateManager {
        var reader = ByteReader(bytes)
        do {
            let v = try reader.readInt16()
            guard v == version else { throw Failure.unsupportedVersion(v) }
            let crc = try reader.readUInt32()
            let body = reader.readRemaining()
            guard CRC32C.checksum(body) == crc else { throw Failure.checksumMismatch }
            var r = ByteReader(body)
            let count = try r.readInt32()
            guard count >= 0, Int(count) * 46 <= r.remaining else {
                throw Failure.malformed(.lengthTooLarge(Int(count), limit: r.remaining / 46))
            }
            var entries: [ProducerStateManager.Entry] = []
            for _ in 0..<count {
                let id = try r.readInt64()
                let epoch = try r.readInt16()
                let lastSeq = try r.readInt32()
                let lastOffset = try r.readInt64()
                let delta = try r.readInt32()
                let timestamp = try r.readInt64()
                let coordinatorEpoch = try r.readInt32()
                let txnFirst = try r.readInt64()
                var batches: [ProducerStateManager.BatchMetadata] = []
                if lastOffset >= 0 {
                    let firstSeq = Int32(truncatingIfNeeded: max(0, Int64(lastSeq) - Int64(delta)))
                    batches.append(.init(firstSequence: firstSeq, lastSequence: lastSeq, firstOffset: lastOffset - Int64(delta),
                                         lastOffset: lastOffset, timestamp: timestamp))
                }
                entries.append(.init(producerId: id, epoch: epoch, batches: batches, lastTimestamp: timestamp,
                                     coordinatorEpoch: coordinatorEpoch, currentTxnFirstOffset: txnFirst))
            }
            return ProducerStateManager(entries: entries)
        } catch let e as Failure {
            throw e
        } catch let e as WireError {
            throw Failure.malformed(e)
        } catch {
            throw Failure.malformed(.truncated(needed: 0, remaining: 0))
        }
    }
}
