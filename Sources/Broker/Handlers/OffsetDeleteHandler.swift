import KafkaProtocol
import LogStore

/// OffsetDelete (key 47), v0: deletes committed offsets of a group. An empty group loses any
/// of them; a consumer group with members only those of topics no member subscribes to
/// (GROUP_SUBSCRIBED_TO_TOPIC per partition); other groups with members NON_EMPTY_GROUP.
/// Partitions of unknown topics: UNKNOWN_TOPIC_OR_PARTITION. A group-level error comes alone.
struct OffsetDeleteHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...0
    let coordinator: GroupCoordinator
    let registry: TopicRegistry

    func handle(_ request: OffsetDeleteRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<OffsetDeleteResponse>) -> Void) {
        var unknown: [TopicPartition: ErrorCode] = [:]
        var partitions: [TopicPartition] = []
        for topic in request.topics {
            let count = registry.topic(named: topic.name)?.partitions.count ?? 0
            for p in topic.partitions {
                let tp = TopicPartition(topic: topic.name, partition: p.partitionIndex)
                if p.partitionIndex >= 0 && Int(p.partitionIndex) < count { partitions.append(tp) } else { unknown[tp] = .unknownTopicOrPartition }
            }
        }
        let topics = request.topics
        let rejected = unknown
        coordinator.deleteOffsets(groupId: request.groupId, partitions: partitions) { groupError, errors in
            guard groupError == .noError else {
                return respond(.of(OffsetDeleteResponse(errorCode: groupError.rawValue)))
            }
            let all = rejected.merging(errors) { a, _ in a }
            respond(.of(OffsetDeleteResponse(topics: topics.map { topic in
                .init(name: topic.name, partitions: topic.partitions.map {
                    .init(partitionIndex: $0.partitionIndex,
                          errorCode: (all[TopicPartition(topic: topic.name, partition: $0.partitionIndex)] ?? .noError).rawValue)
                })
            })))
        }
    }
}
