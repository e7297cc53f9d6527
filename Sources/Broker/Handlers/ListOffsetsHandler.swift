import KafkaProtocol
import LogStore

/// ListOffsets (key 2), v1–9 as Kafka 3.9 serves from v1. Timestamp -2: the log start offset;
/// -1: the high watermark (the last stable offset for read_committed, the same here until
/// transactions exist); -3 (v7+): the record with the largest timestamp; any other: the first
/// offset whose timestamp is at or after it, or offset -1 when none is. v4+ returns the leader
/// epoch of the offset. A partition named twice is INVALID_REQUEST, as in Kafka.
struct ListOffsetsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 1...9
    let replicas: ReplicaManager

    func handle(_ request: ListOffsetsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<ListOffsetsResponse>) -> Void) {
        let all = request.topics.flatMap { t in t.partitions.map { "\(t.name)-\($0.partitionIndex)" } }
        let repeated = Set(all.filter { key in all.filter { $0 == key }.count > 1 })
        let topics = request.topics.map { t in
            ListOffsetsResponse.ListOffsetsTopicResponse(name: t.name, partitions: t.partitions.map { p in
                var out = ListOffsetsResponse.ListOffsetsPartitionResponse(partitionIndex: p.partitionIndex, timestamp: -1, offset: -1, leaderEpoch: -1)
                if repeated.contains("\(t.name)-\(p.partitionIndex)") {
                    out.errorCode = ErrorCode.invalidRequest.rawValue
                    return out
                }
                guard let partition = replicas.partition(TopicPartition(topic: t.name, partition: p.partitionIndex)) else {
                    out.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    return out
                }
                let epoch = partition.leaderEpoch
                if p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < epoch {
                    out.errorCode = ErrorCode.fencedLeaderEpoch.rawValue
                    return out
                }
                if p.currentLeaderEpoch > epoch {
                    out.errorCode = ErrorCode.unknownLeaderEpoch.rawValue
                    return out
                }
                let query: OffsetQuery
                switch p.timestamp {
                case -2: query = .earliest
                case -1: query = .latest
                case -3: query = .maxTimestamp
                default: query = .timestamp(p.timestamp)
                }
                do throws(LogError) {
                    if let found = try partition.log.offset(for: query, upTo: partition.log.highWatermark) {
                        out.offset = found.offset
                        out.timestamp = found.timestamp
                        if context.apiVersion >= 4 { out.leaderEpoch = found.leaderEpoch ?? -1 }
                    }
                } catch {
                    out.errorCode = error.kafkaErrorCode
                }
                return out
            })
        }
        respond(.of(ListOffsetsResponse(topics: topics)))
    }
}
