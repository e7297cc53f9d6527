import Foundation
import KafkaProtocol
import KafkaRecords
import LogStore

/// `__consumer_offsets` on this broker: created on first use as Kafka creates it (compacted,
/// `offsets.topic.num.partitions` partitions, replication factor
/// min(`offsets.topic.replication.factor`, live brokers), `offsets.topic.segment.bytes`,
/// producer compression), appended to as leader, read back whole when a partition is loaded.
final class OffsetsTopic: GroupLog {
    static let name = "__consumer_offsets"

    let admin: TopicAdmin
    let replicas: ReplicaManager
    let config: GroupConfig
    let brokerId: Int32

    init(admin: TopicAdmin, replicas: ReplicaManager, config: GroupConfig, brokerId: Int32) {
        self.admin = admin
        self.replicas = replicas
        self.config = config
        self.brokerId = brokerId
    }

    func layout() -> (partitionCount: Int, local: [Int32])? {
        guard let topic = admin.registry.topic(named: Self.name) else { return nil }
        let local = topic.partitions.filter { $0.leader == brokerId }.map(\.index)
            .filter { replicas.partition(TopicPartition(topic: Self.name, partition: $0)) != nil }
        return (topic.partitions.count, local)
    }

    func createTopic() -> Result<(partitionCount: Int, local: [Int32]), GroupLogError> {
        let factor = min(config.offsetsTopicReplicationFactor, max(1, admin.brokerIds.count))
        let request = TopicAdmin.CreateRequest(
            name: Self.name, numPartitions: Int32(clamping: config.offsetsTopicPartitions), replicationFactor: Int16(clamping: factor),
            configs: [
                "cleanup.policy": "compact",
                "segment.bytes": String(config.offsetsTopicSegmentBytes),
                "compression.type": "producer",
            ])
        switch admin.create(request, validateOnly: false) {
        case .success:
            break
        case .failure(let e) where e.code == .topicAlreadyExists:
            break
        case .failure(let e):
            return .failure(GroupLogError(code: .coordinatorNotAvailable, message: "cannot create \(Self.name): \(e.message)"))
        }
        guard let created = layout() else {
            return .failure(GroupLogError(code: .coordinatorNotAvailable, message: "\(Self.name) vanished after creation"))
        }
        return .success(created)
    }

    func append(partition index: Int32, records: [GroupLogRecord], timestamp: Int64) -> Result<Void, GroupLogError> {
        let tp = TopicPartition(topic: Self.name, partition: index)
        guard let partition = replicas.partition(tp) else {
            return .failure(GroupLogError(code: .notLeaderOrFollower, message: "\(tp) is not hosted here"))
        }
        var builder = RecordBatchBuilder()
        for record in records {
            builder.append(key: record.key, value: record.value, timestamp: timestamp)
        }
        var batch: [UInt8]
        let header: RecordBatchHeader
        do throws(RecordsError) {
            batch = try builder.build()
            header = try RecordBatchHeader.validate(batch, .produce)
        } catch {
            return .failure(GroupLogError(code: .unknownServerError, message: "cannot build a batch for \(tp): \(error)"))
        }
        if batch.count > partition.log.config.maxMessageBytes {
            return .failure(GroupLogError(code: .recordListTooLarge, message: "batch of \(batch.count) bytes for \(tp) exceeds max.message.bytes"))
        }
        switch partition.appendAsLeader(&batch, header: header) {
        case .success:
            replicas.fetchPurgatory.notifyAppend(tp)
            return .success(())
        case .failure(let e):
            return .failure(GroupLogError(code: e.code, message: e.message))
        }
    }

    func read(partition index: Int32, _ visit: (GroupLogRecord) -> Void) -> Result<Int, GroupLogError> {
        let tp = TopicPartition(topic: Self.name, partition: index)
        guard let partition = replicas.partition(tp) else {
            return .failure(GroupLogError(code: .notLeaderOrFollower, message: "\(tp) is not hosted here"))
        }
        let log = partition.log
        var from = log.logStartOffset
        let end = log.logEndOffset
        var skipped = 0
        while from < end {
            let bytes: [UInt8]
            do throws(LogError) {
                bytes = try log.read(from: from, maxBytes: 8 << 20, upTo: end, minOneMessage: true).readBytes()
            } catch {
                return .failure(GroupLogError(code: ErrorCode(code: error.kafkaErrorCode), message: "reading \(tp) at \(from): \(error)"))
            }
            if bytes.isEmpty { break }
            var next = from
            var iterator = RecordBatchIterator(bytes[...])
            while let entry = iterator.next() {
                guard let header = entry.header else { continue }
                next = header.nextOffset
                // Control batches (transaction markers) carry no group state.
                if header.isControl { continue }
                guard let batch = try? RecordBatch.decode(bytes[entry.range]) else {
                    skipped += 1
                    continue
                }
                for record in batch.records where record.offset >= from {
                    guard let key = record.key else { continue }
                    visit(GroupLogRecord(key: key, value: record.value))
                }
            }
            if next <= from { break }
            from = next
        }
        return .success(skipped)
    }
}
