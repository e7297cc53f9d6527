import KafkaProtocol

/// CreateTopics (key 19), v0–7 as Kafka 3.9 serves.
/// - Per topic: name rules, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
///   INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG with Kafka's messages (v1+ carry the message).
/// - A topic named twice in one request: INVALID_REQUEST for that name.
/// - validateOnly (v1+) checks everything and creates nothing.
/// - v5+ answers with the topic's partitions, replication factor and effective configs; v7 its id.
struct CreateTopicsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...7
    let admin: TopicAdmin
    let config: BrokerConfig

    func handle(_ request: CreateTopicsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<CreateTopicsResponse>) -> Void) {
        let names = request.topics.map(\.name)
        let duplicated = Set(names.filter { name in names.filter { $0 == name }.count > 1 })
        var results: [CreateTopicsResponse.CreatableTopicResult] = []
        for topic in request.topics {
            if duplicated.contains(topic.name) {
                results.append(.init(name: topic.name, errorCode: ErrorCode.invalidRequest.rawValue,
                                     errorMessage: "Create topics request from client `\(context.clientId ?? "")` contains multiple entries for the following topics: \(topic.name)"))
                continue
            }
            let assignments = Dictionary(topic.assignments.map { ($0.partitionIndex, $0.brokerIds) }, uniquingKeysWith: { a, _ in a })
            let configs = Dictionary(topic.configs.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
            let outcome = admin.create(
                .init(name: topic.name, numPartitions: topic.numPartitions, replicationFactor: topic.replicationFactor,
                      assignments: assignments, configs: configs),
                validateOnly: request.validateOnly)
            switch outcome {
            case .success(let info):
                let described = ConfigDescriber.topic(overrides: info.configs, config: config).map {
                    CreateTopicsResponse.CreatableTopicConfigs(
                        name: $0.name, value: $0.value, readOnly: $0.readOnly, configSource: $0.source.rawValue, isSensitive: $0.isSensitive)
                }
                results.append(.init(
                    name: info.name, topicId: request.validateOnly ? .zero : info.id, errorCode: 0,
                    numPartitions: Int32(info.partitions.count), replicationFactor: Int16(info.partitions.first?.replicas.count ?? 0),
                    configs: described))
            case .failure(let error):
                results.append(.init(name: topic.name, errorCode: error.code.rawValue, errorMessage: error.message))
            }
        }
        respond(.of(CreateTopicsResponse(topics: results)))
    }
}
