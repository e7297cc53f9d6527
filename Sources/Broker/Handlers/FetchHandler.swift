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
/// - v7+ incremental fetch sessions (KIP-227), see `FetchSessionCache`: an incremental
///   response lists only partitions with something new.
struct FetchHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 4...17
    let replicas: ReplicaManager
    let registry: TopicRegistry
    let config: BrokerConfig
    let sessions: FetchSessionCache

    /// One partition to read, with the topic name resolved (nil when unknown).
    struct Wanted: Sendable {
        var key: FetchSessionCache.Key
        var topic: String?
        var fetch: FetchSessionCache.PartitionFetch
    }

    func handle(_ request: FetchRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<FetchResponse>) -> Void) {
        let version = context.apiVersion
        let byId = version >= 13
        var asked: [(FetchSessionCache.Key, FetchSessionCache.PartitionFetch)] = []
        for t in request.topics {
            for p in t.partitions {
                asked.append((
                    FetchSessionCache.Key(topic: byId ? "" : t.topic, topicId: byId ? t.topicId : .zero, partition: p.partition),
                    .init(fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch,
                          logStartOffset: p.logStartOffset)))
            }
        }
        var resolution = FetchSessionCache.Resolution.full(sessionId: 0)
        if version >= 7 {
            let forgotten = request.forgottenTopicsData.flatMap { f in
                f.partitions.map { FetchSessionCache.Key(topic: byId ? "" : f.topic, topicId: byId ? f.topicId : .zero, partition: $0) }
            }
            (resolution, asked) = sessions.resolve(
                sessionId: request.sessionId, epoch: request.sessionEpoch, partitions: asked, forgotten: forgotten)
        } else if request.sessionId != 0 {
            resolution = .error(ErrorCode.fetchSessionIdNotFound.rawValue)
        }
        if case .error(let code) = resolution {
            return respond(.of(FetchResponse(errorCode: code, sessionId: 0)))
        }
        let session = resolution
        let wanted = asked.map { key, fetch in
            Wanted(key: key, topic: byId ? registry.topic(id: key.topicId)?.name : key.topic, fetch: fetch)
        }
        let maxBytes = min(Int(request.maxBytes <= 0 ? Int32.max : request.maxBytes), config.int("fetch.max.bytes"))
        let readCommitted = request.isolationLevel == 1
        let minBytes = Int(max(0, request.minBytes))
        let answer: @Sendable () -> ApiReply<FetchResponse> = {
            let result = read(wanted, maxBytes: maxBytes, readCommitted: readCommitted)
            return .response(assemble(result, resolution: session, byId: byId), keepAlive: result.handles)
        }
        let first = read(wanted, maxBytes: maxBytes, readCommitted: readCommitted)
        if request.maxWaitMs <= 0 || first.bytes >= minBytes || first.hasError || wanted.isEmpty {
            return respond(.response(assemble(first, resolution: session, byId: byId), keepAlive: first.handles))
        }
        let tps = wanted.compactMap { w in w.topic.map { TopicPartition(topic: $0, partition: w.key.partition) } }
        replicas.fetchPurgatory.park(
            partitions: tps, maxWait: .milliseconds(Int(request.maxWaitMs)),
            isSatisfied: { read(wanted, maxBytes: maxBytes, readCommitted: readCommitted).bytes >= minBytes },
            complete: { respond(answer()) })
    }

    struct PartitionResult {
        var wanted: Wanted
        var data: FetchResponse.PartitionData
        var hasRecords: Bool
    }

    struct ReadOutcome {
        var partitions: [PartitionResult]
        var bytes: Int
        var hasError: Bool
        var handles: [LogReadHandle]
    }

    func read(_ wanted: [Wanted], maxBytes: Int, readCommitted: Bool) -> ReadOutcome {
        var budget = maxBytes
        var total = 0
        var hasError = false
        var handles: [LogReadHandle] = []
        var results: [PartitionResult] = []
        for w in wanted {
            let f = w.fetch
            var data = FetchResponse.PartitionData(
                partitionIndex: w.key.partition, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1,
                abortedTransactions: readCommitted ? [] : nil, records: .empty)
            var hasRecords = false
            if let topic = w.topic, let partition = replicas.partition(TopicPartition(topic: topic, partition: w.key.partition)) {
                let log = partition.log
                let hw = log.highWatermark
                data.highWatermark = hw
                data.lastStableOffset = hw
                data.logStartOffset = log.logStartOffset
                let epoch = partition.leaderEpoch
                if f.currentLeaderEpoch >= 0 && f.currentLeaderEpoch < epoch {
                    data.errorCode = ErrorCode.fencedLeaderEpoch.rawValue
                } else if f.currentLeaderEpoch > epoch {
                    data.errorCode = ErrorCode.unknownLeaderEpoch.rawValue
                } else {
                    let limit = min(Int(max(0, f.maxBytes)), budget)
                    do throws(LogError) {
                        let result = try log.read(from: f.fetchOffset, maxBytes: limit, upTo: hw, minOneMessage: total == 0)
                        if !result.isEmpty {
                            data.records = .regions(result.regions)
                            handles.append(result.handle)
                            hasRecords = true
                            total += result.byteCount
                            budget = max(0, budget - result.byteCount)
                        }
                    } catch {
                        data.errorCode = error.kafkaErrorCode
                    }
                }
            } else {
                data.errorCode = (w.key.topicId != .zero && w.topic == nil ? ErrorCode.unknownTopicId : ErrorCode.unknownTopicOrPartition).rawValue
            }
            if data.errorCode != 0 { hasError = true }
            results.append(PartitionResult(wanted: w, data: data, hasRecords: hasRecords))
        }
        return ReadOutcome(partitions: results, bytes: total, hasError: hasError, handles: handles)
    }

    /// The response: every partition for a full fetch, only the changed ones for an
    /// incremental one, grouped by topic in request order.
    func assemble(_ outcome: ReadOutcome, resolution: FetchSessionCache.Resolution, byId: Bool) -> FetchResponse {
        var sessionId: Int32 = 0
        var incremental = false
        switch resolution {
        case .full(let id): sessionId = id
        case .incremental(let id): (sessionId, incremental) = (id, true)
        case .error: break
        }
        var topics: [FetchResponse.FetchableTopicResponse] = []
        var lastKey: (String, Uuid)?
        for r in outcome.partitions {
            if sessionId != 0 {
                let changed = sessions.note(
                    sessionId: sessionId, key: r.wanted.key, highWatermark: r.data.highWatermark,
                    logStartOffset: r.data.logStartOffset, hasRecords: r.hasRecords, errorCode: r.data.errorCode)
                if incremental && !changed { continue }
            }
            let key = (r.wanted.key.topic, r.wanted.key.topicId)
            if let last = lastKey, last == key, !topics.isEmpty {
                topics[topics.count - 1].partitions.append(r.data)
            } else {
                lastKey = key
                topics.append(.init(topic: byId ? "" : (r.wanted.topic ?? r.wanted.key.topic), topicId: byId ? r.wanted.key.topicId : .zero,
                                    partitions: [r.data]))
            }
        }
        return FetchResponse(errorCode: 0, sessionId: sessionId, responses: topics)
    }
}
