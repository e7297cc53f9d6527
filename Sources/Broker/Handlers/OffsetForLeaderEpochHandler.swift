import KafkaProtocol
import LogStore

/// OffsetForLeaderEpoch (key 23), v0–4 (librdkafka sends exactly v2 to detect truncation). For
/// each partition: the largest epoch at or below the one asked for and the offset where it
/// ends, from the leader-epoch cache; an epoch below the first known answers -1/-1 (Kafka's
/// UNDEFINED). `current_leader_epoch` (v2+) is checked as for Fetch.
struct OffsetForLeaderEpochHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...4
    let replicas: ReplicaManager

    func handle(_ request: OffsetForLeaderEpochRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<OffsetForLeaderEpochResponse>) -> Void) {
        let topics = request.topics.map { t in
            OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult(topic: t.topic, partitions: t.partitions.map { p in
                var out = OffsetForLeaderEpochResponse.EpochEndOffset(partition: p.partition, leaderEpoch: -1, endOffset: -1)
                guard let partition = replicas.partition(TopicPartition(topic: t.topic, partition: p.partition)) else {
                    out.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    return out
                }
                let epoch = partition.leaderEpoch
                if p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < epoch {
                    out.errorCode = ErrorCode.fencedLeaderEpoch.rawValue
                } else if p.currentLeaderEpoch > epoch {
                    out.errorCode = ErrorCode.unknownLeaderEpoch.rawValue
                } else {
                    let found = partition.log.endOffset(forLeaderEpoch: p.leaderEpoch)
                    out.leaderEpoch = found.leaderEpoch
                    out.endOffset = found.endOffset
                }
                return out
            })
        }
        respond(.of(OffsetForLeaderEpochResponse(topics: topics)))
    }
}
