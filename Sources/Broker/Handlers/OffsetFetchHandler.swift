import KafkaProtocol
import LogStore

/// OffsetFetch (key 9), v0–9.
/// - v0 (ZooKeeper-era in Kafka) is served like v1. v0–1 name the partitions; v2+ may ask for
///   all of them (null topics) and answer a top-level error; v5+ carry leader epochs; v7 asks
///   for stable offsets (there are no transactional commits pending here to wait for).
/// - v8+ ask for several groups at once, each answered with its own error.
/// - Nothing committed: offset -1, metadata "", no error. A group-level error (not the
///   coordinator, loading): v0–1 put it on every partition, v2+ answer it alone.
struct OffsetFetchHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...9
    let coordinator: GroupCoordinator

    func handle(_ request: OffsetFetchRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<OffsetFetchResponse>) -> Void) {
        let version = context.apiVersion
        if version >= 8 {
            let groups = request.groups
            let asks = groups.map { g in
                (groupId: g.groupId, partitions: g.topics.map { Self.partitions($0.map { ($0.name, $0.partitionIndexes) }) })
            }
            coordinator.fetchOffsets(asks) { results in
                respond(.of(OffsetFetchResponse(groups: zip(groups, results).map { group, result in
                    let (error, offsets) = result
                    return .init(groupId: group.groupId, topics: error == .noError ? Self.byTopic(offsets).map { name, partitions in
                        .init(name: name, partitions: partitions.map {
                            .init(partitionIndex: $0.topicPartition.partition, committedOffset: $0.offset?.offset ?? -1,
                                  committedLeaderEpoch: $0.offset?.leaderEpoch ?? -1, metadata: $0.offset?.metadata ?? "",
                                  errorCode: $0.error.rawValue)
                        })
                    } : [], errorCode: error.rawValue)
                })))
            }
            return
        }
        let requested = (version < 2 ? request.topics ?? [] : request.topics).map { Self.partitions($0.map { ($0.name, $0.partitionIndexes) }) }
        coordinator.fetchOffsets([(groupId: request.groupId, partitions: requested)]) { results in
            let (error, fetched) = results.first ?? (.unknownServerError, [])
            var offsets = fetched
            if error != .noError {
                // v0–1 have no top-level error: every partition carries it.
                offsets = version < 2 ? (requested ?? []).map { FetchedOffset(topicPartition: $0, offset: nil, error: error) } : []
            }
            respond(.of(OffsetFetchResponse(
                topics: Self.byTopic(offsets).map { name, partitions in
                    .init(name: name, partitions: partitions.map {
                        .init(partitionIndex: $0.topicPartition.partition, committedOffset: $0.offset?.offset ?? -1,
                              committedLeaderEpoch: version >= 5 ? $0.offset?.leaderEpoch ?? -1 : -1,
                              metadata: $0.offset?.metadata ?? "", errorCode: $0.error.rawValue)
                    })
                },
                errorCode: version >= 2 ? error.rawValue : 0)))
        }
    }

    static func partitions(_ topics: [(String, [Int32])]) -> [TopicPartition] {
        topics.flatMap { name, indexes in indexes.map { TopicPartition(topic: name, partition: $0) } }
    }

    /// Offsets grouped by topic, topics in first-seen order.
    static func byTopic(_ offsets: [FetchedOffset]) -> [(String, [FetchedOffset])] {
        var order: [String] = []
        var grouped: [String: [FetchedOffset]] = [:]
        for o in offsets {
            if grouped[o.topicPartition.topic] == nil { order.append(o.topicPartition.topic) }
            grouped[o.topicPartition.topic, default: []].append(o)
        }
        return order.map { ($0, grouped[$0] ?? []) }
    }
}
