import KafkaProtocol
import LogStore
import Wire

/// Fetch (key 1), v4–17 (magic-2 data only; Kafka 4.0 dropped v0–3 too). Consumers read up to
/// the high watermark (which is also the last stable offset until transactions exist).
///
/// - Record data goes out with `sendfile` from the segment files: the response holds file
///   regions, and the segments' read handles live until the frame is written.
/// - `max.bytes` bounds the response and `partition_max_bytes` each partition, except that
///   the first partition with data returns at least one whole batch (as Kafka does).
/// - Fewer than `min.bytes` available: the fetch parks in the purgatory until an append makes
///   enough data available or `max.wait.ms` passes; no thread waits.
/// - v9+ `current_leader_epoch`: older than ours FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH.
/// - v13+ names topics by id (UNKNOWN_TOPIC_ID when unknown).
/// - Fetch sessions (v7+): Petrel declines them as Kafka does with no session slots, by
///   answering session id 0, so clients send full fetches; a session id we never issued is
///   FETCH_SESSION_ID_NOT_FOUND.
struct FetchHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 4...17
    let replicas: ReplicaManager
    let registry: TopicRegistry
    let config: BrokerConfig

    struct Wanted {
        var topic: String?
        var topicId: Uuid
        var partition: FetchRequest.FetchPartition
    }

    func handle(_ request: FetchRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<FetchResponse>) -> Void) {
        if request.sessionId != 0 {
            return respond(.of(FetchResponse(errorCode: ErrorCode.fetchSessionIdNotFound.rawValue, sessionId: 0)))
        }
        let version = context.apiVersion
        let byId = version >= 13
        let wanted: [Wanted] = request.topics.flatMap { t in
            let name = byId ? registry.topic(id: t.topicId)?.name : t.topic
            return t.partitions.map { Wanted(topic: name, topicId: t.topicId, partition: $0) }
        }
        let maxBytes = min(Int(request.maxBytes <= 0 ? Int32.max : request.maxBytes), config.int("fetch.max.bytes"))
        let readCommitted = request.isolationLevel == 1
        let first = read(wanted, maxBytes: maxBytes, readCommitted: readCommitted, byId: byId)
        let minBytes = Int(max(0, request.minBytes))
        if request.maxWaitMs <= 0 || first.bytes >= minBytes || first.hasError || wanted.isEmpty {
            return respond(.response(first.response, keepAlive: first.handles))
        }
        let tps = wanted.compactMap { w in w.topic.map { TopicPartition(topic: $0, partition: w.partition.partition) } }
        replicas.fetchPurgatory.park(
            partitions: tps, maxWait: .milliseconds(Int(request.maxWaitMs)),
            isSatisfied: { read(wanted, maxBytes: maxBytes, readCommitted: readCommitted, byId: byId).bytes >= minBytes },
            complete: {
                let result = read(wanted, maxBytes: maxBytes, readCommitted: readCommitted, byId: byId)
                respond(.response(result.response, keepAlive: result.handles))
            })
    }

    struct ReadOutcome {
        var response: FetchResponse
        var bytes: Int
        var hasError: Bool
        var handles: [LogReadHandle]
    }

    func read(_ wanted: [Wanted], maxBytes: Int, readCommitted: Bool, byId: Bool) -> ReadOutcome {
        var budget = maxBytes
        var total = 0
        var hasError = false
        var handles: [LogReadHandle] = []
        var topics: [FetchResponse.FetchableTopicResponse] = []
        var lastTopic: (name: String?, id: Uuid)?
        for w in wanted {
            let p = w.partition
            var data = FetchResponse.PartitionData(
                partitionIndex: p.partition, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1,
                abortedTransactions: readCommitted ? [] : nil, records: .empty)
            if let topic = w.topic, let partition = replicas.partition(TopicPartition(topic: topic, partition: p.partition)) {
                let log = partition.log
                let hw = log.highWatermark
                data.highWatermark = hw
                data.lastStableOffset = hw
                data.logStartOffset = log.logStartOffset
                let epoch = partition.leaderEpoch
                if p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < epoch {
                    data.errorCode = ErrorCode.fencedLeaderEpoch.rawValue
                } else if p.currentLeaderEpoch > epoch {
                    data.errorCode = ErrorCode.unknownLeaderEpoch.rawValue
                } else {
                    let limit = min(Int(max(0, p.partitionMaxBytes)), budget)
                    do throws(LogError) {
                        let result = try log.read(from: p.fetchOffset, maxBytes: limit, upTo: hw, minOneMessage: total == 0)
                        if !result.isEmpty {
                            data.records = .regions(result.regions)
                            handles.append(result.handle)
                            total += result.byteCount
                            budget = max(0, budget - result.byteCount)
                        }
                    } catch {
                        data.errorCode = error.kafkaErrorCode
                    }
                }
            } else {
                data.errorCode = (byId && w.topic == nil ? ErrorCode.unknownTopicId : ErrorCode.unknownTopicOrPartition).rawValue
            }
            if data.errorCode != 0 { hasError = true }
            if let last = lastTopic, last.name == w.topic, last.id == w.topicId, !topics.isEmpty {
                topics[topics.count - 1].partitions.append(data)
            } else {
                lastTopic = (w.topic, w.topicId)
                topics.append(.init(topic: byId ? "" : (w.topic ?? ""), topicId: byId ? w.topicId : .zero, partitions: [data]))
            }
        }
        return ReadOutcome(response: FetchResponse(errorCode: 0, sessionId: 0, responses: topics), bytes: total, hasError: hasError, handles: handles)
    }
}
