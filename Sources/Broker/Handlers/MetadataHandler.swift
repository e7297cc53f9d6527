import KafkaProtocol
import Wire

/// Metadata (key 3), v0–12 as Kafka 3.9 serves.
/// - Topics null (v1+) means every topic; an empty list means none; v0's empty list means all.
/// - v10+ may name topics by id only; unknown ids answer UNKNOWN_TOPIC_ID.
/// - Unknown names: auto-created with the broker's defaults when `auto.create.topics.enable`
///   and the request allows it (v4+; always for v0–3), else UNKNOWN_TOPIC_OR_PARTITION;
///   illegal names INVALID_TOPIC_EXCEPTION.
/// - Brokers and endpoints are those of the listener the request came in on.
struct MetadataHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...12
    let admin: TopicAdmin
    let cluster: any ClusterView
    let config: BrokerConfig

    func handle(_ request: MetadataRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<MetadataResponse>) -> Void) {
        let version = context.apiVersion
        let registry = admin.registry
        var topics: [MetadataResponse.MetadataResponseTopic] = []
        let allowCreate = (version < 4 || request.allowAutoTopicCreation) && config.bool("auto.create.topics.enable")
        let wantsAll = request.topics == nil || (version == 0 && request.topics?.isEmpty == true)
        if wantsAll {
            topics = registry.all.map { describe($0, request: request) }
        } else {
            for wanted in request.topics ?? [] {
                if let name = wanted.name {
                    if let info = registry.topic(named: name) {
                        topics.append(describe(info, request: request))
                    } else if TopicName.validate(name) != nil {
                        topics.append(.init(errorCode: ErrorCode.invalidTopicException.rawValue, name: name, isInternal: false))
                    } else if allowCreate, case .success(let info) = admin.create(.init(name: name), validateOnly: false) {
                        topics.append(describe(info, request: request))
                    } else {
                        topics.append(.init(errorCode: ErrorCode.unknownTopicOrPartition.rawValue, name: name))
                    }
                } else if let info = registry.topic(id: wanted.topicId) {
                    topics.append(describe(info, request: request))
                } else {
                    topics.append(.init(errorCode: ErrorCode.unknownTopicId.rawValue, name: nil, topicId: wanted.topicId))
                }
            }
        }
        let brokers = cluster.liveBrokers(listener: context.listenerName).map {
            MetadataResponse.MetadataResponseBroker(nodeId: $0.id, host: $0.host, port: $0.port, rack: $0.rack)
        }
        respond(.of(MetadataResponse(
            brokers: brokers, clusterId: cluster.clusterId, controllerId: cluster.controllerId, topics: topics,
            clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? AclOperations.cluster : Int32.min)))
    }

    func describe(_ info: TopicInfo, request: MetadataRequest) -> MetadataResponse.MetadataResponseTopic {
        let live = Set(cluster.liveBrokerIds)
        let partitions = info.partitions.map { p in
            MetadataResponse.MetadataResponsePartition(
                errorCode: live.contains(p.leader) ? 0 : ErrorCode.leaderNotAvailable.rawValue,
                partitionIndex: p.index, leaderId: live.contains(p.leader) ? p.leader : -1, leaderEpoch: p.leaderEpoch,
                replicaNodes: p.replicas, isrNodes: p.isr, offlineReplicas: p.replicas.filter { !live.contains($0) })
        }
        return .init(
            errorCode: 0, name: info.name, topicId: info.id, isInternal: info.isInternal, partitions: partitions,
            topicAuthorizedOperations: request.includeTopicAuthorizedOperations ? AclOperations.topic : Int32.min)
    }
}
