import Foundation
import KafkaProtocol
import LogStore

/// OffsetCommit (key 8), v0–9.
/// - v0 (ZooKeeper-era storage in Kafka) is served like v2: no generation or member, so it is
///   a commit for a group without members; v1 carries a commit timestamp per partition;
///   v2–4 a retention time (the offsets expire that long after the commit); v6+ leader epochs;
///   v7+ `group.instance.id`; v8+ flexible.
/// - Generation -1 with an empty member id commits for a group without members (simple
///   consumers, admin tools); members commit with their generation (ILLEGAL_GENERATION,
///   UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS otherwise).
/// - Partitions of unknown topics: UNKNOWN_TOPIC_OR_PARTITION; metadata longer than
///   `offset.metadata.max.bytes`: OFFSET_METADATA_TOO_LARGE.
struct OffsetCommitHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...9
    let coordinator: GroupCoordinator
    let registry: TopicRegistry

    func handle(_ request: OffsetCommitRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<OffsetCommitResponse>) -> Void) {
        let version = context.apiVersion
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let expire: Int64? = (2...4).contains(version) && request.retentionTimeMs != -1 ? now &+ request.retentionTimeMs : nil
        var errors: [TopicPartition: ErrorCode] = [:]
        var offsets: [(TopicPartition, CommittedOffset)] = []
        for topic in request.topics {
            let known = registry.topic(named: topic.name)?.partitions.count ?? 0
            for p in topic.partitions {
                let tp = TopicPartition(topic: topic.name, partition: p.partitionIndex)
                guard p.partitionIndex >= 0 && Int(p.partitionIndex) < known else {
                    errors[tp] = .unknownTopicOrPartition
                    continue
                }
                let timestamp = version == 1 && p.commitTimestamp != -1 ? p.commitTimestamp : now
                offsets.append((tp, CommittedOffset(
                    offset: p.committedOffset, leaderEpoch: version >= 6 ? p.committedLeaderEpoch : -1,
                    metadata: p.committedMetadata ?? "", commitTimestamp: timestamp, expireTimestamp: expire)))
            }
        }
        let topics = request.topics
        let rejected = errors
        let answer: @Sendable ([TopicPartition: ErrorCode]) -> Void = { committed in
            let all = rejected.merging(committed) { a, _ in a }
            respond(.of(OffsetCommitResponse(topics: topics.map { topic in
                .init(name: topic.name, partitions: topic.partitions.map { p in
                    .init(partitionIndex: p.partitionIndex,
                          errorCode: (all[TopicPartition(topic: topic.name, partition: p.partitionIndex)] ?? .noError).rawValue)
                })
            })))
        }
        guard !offsets.isEmpty else { return answer([:]) }
        coordinator.commitOffsets(
            groupId: request.groupId, memberId: version >= 1 ? request.memberId : "",
            groupInstanceId: version >= 7 ? request.groupInstanceId : nil,
            generationId: version >= 1 ? request.generationIdOrMemberEpoch : -1, offsets: offsets, respond: answer)
    }
}
