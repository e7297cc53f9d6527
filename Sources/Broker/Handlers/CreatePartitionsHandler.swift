import KafkaProtocol

/// CreatePartitions (key 37), v0–3. Partitions only grow: the same count answers "Topic already
/// has N partitions.", fewer "Topic currently has N partitions, which is higher than the
/// requested M." (INVALID_PARTITIONS); explicit assignments are checked like CreateTopics'.
struct CreatePartitionsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...3
    let admin: TopicAdmin

    func handle(_ request: CreatePartitionsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<CreatePartitionsResponse>) -> Void) {
        let results = request.topics.map { topic -> CreatePartitionsResponse.CreatePartitionsTopicResult in
            let outcome = admin.createPartitions(
                topic: topic.name, count: topic.count, assignments: topic.assignments?.map(\.brokerIds),
                validateOnly: request.validateOnly)
            switch outcome {
            case .success: return .init(name: topic.name, errorCode: 0)
            case .failure(let e): return .init(name: topic.name, errorCode: e.code.rawValue, errorMessage: e.message)
            }
        }
        respond(.of(CreatePartitionsResponse(results: results)))
    }
}
