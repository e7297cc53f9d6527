import KafkaProtocol
import Wire

/// DeleteTopics (key 20), v0–6 as Kafka 3.9 serves. v0–5 name topics; v6 names them or gives
/// their ids. Unknown topics answer UNKNOWN_TOPIC_OR_PARTITION (by name) or UNKNOWN_TOPIC_ID;
/// `delete.topic.enable=false` answers TOPIC_DELETION_DISABLED.
struct DeleteTopicsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...6
    let admin: TopicAdmin

    func handle(_ request: DeleteTopicsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<DeleteTopicsResponse>) -> Void) {
        let targets: [(name: String?, id: Uuid)] = context.apiVersion >= 6
            ? request.topics.map { ($0.name, $0.topicId) }
            : request.topicNames.map { ($0, Uuid.zero) }
        var results: [DeleteTopicsResponse.DeletableTopicResult] = []
        for target in targets {
            var name = target.name
            if name == nil, target.id != .zero { name = admin.registry.topic(id: target.id)?.name }
            guard let resolved = name else {
                results.append(.init(name: nil, topicId: target.id, errorCode: ErrorCode.unknownTopicId.rawValue,
                                     errorMessage: "This server does not host this topic ID."))
                continue
            }
            switch admin.delete(named: resolved) {
            case .success(let info):
                results.append(.init(name: resolved, topicId: context.apiVersion >= 6 ? info.id : .zero, errorCode: 0))
            case .failure(let error):
                results.append(.init(name: resolved, topicId: target.id, errorCode: error.code.rawValue, errorMessage: error.message))
            }
        }
        respond(.of(DeleteTopicsResponse(responses: results)))
    }
}
