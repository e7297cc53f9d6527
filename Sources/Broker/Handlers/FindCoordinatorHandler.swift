import KafkaProtocol

/// FindCoordinator (key 10), v0–4.
/// - Key type 0 (group): the leader of the group's `__consumer_offsets` partition, which is
///   created on first use. v0 has no key type; v1–3 add error messages; v4 batches keys
///   (`CoordinatorKeys` → `Coordinators`).
/// - Key type 1 (transaction): COORDINATOR_NOT_AVAILABLE: this broker has no transaction
///   coordinator yet. Other key types: INVALID_REQUEST.
/// - Failures answer node id -1, host "", port -1, as Kafka does.
struct FindCoordinatorHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...4
    let coordinator: GroupCoordinator
    let cluster: any ClusterView

    func handle(_ request: FindCoordinatorRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<FindCoordinatorResponse>) -> Void) {
        let version = context.apiVersion
        let keys = version >= 4 ? request.coordinatorKeys : [request.key]
        let node = cluster.liveBrokers(listener: context.listenerName).first { $0.id == cluster.localBrokerId }
        let answer: @Sendable ([ErrorCode]) -> Void = { errors in
            let found = zip(keys, errors).map { key, error -> (String, ErrorCode, BrokerEndpoint?) in
                guard error == .noError, let node else { return (key, error == .noError ? .coordinatorNotAvailable : error, nil) }
                return (key, .noError, node)
            }
            respond(.of(Self.response(found, version: version)))
        }
        switch request.keyType {
        case 0: coordinator.findCoordinator(keys, respond: answer)
        case 1: answer(keys.map { _ in .coordinatorNotAvailable })
        default: answer(keys.map { _ in .invalidRequest })
        }
    }

    static func response(_ found: [(String, ErrorCode, BrokerEndpoint?)], version: Int16) -> FindCoordinatorResponse {
        if version >= 4 {
            return FindCoordinatorResponse(coordinators: found.map { key, error, node in
                .init(key: key, nodeId: node?.id ?? -1, host: node?.host ?? "", port: node?.port ?? -1,
                      errorCode: error.rawValue, errorMessage: GroupErrorMessage.text(error))
            })
        }
        let (_, error, node) = found.first ?? ("", .invalidRequest, nil)
        return FindCoordinatorResponse(
            errorCode: error.rawValue, errorMessage: version >= 1 ? GroupErrorMessage.text(error) : nil,
            nodeId: node?.id ?? -1, host: node?.host ?? "", port: node?.port ?? -1)
    }
}

/// The messages Kafka's `Errors` give the codes the group APIs answer with (FindCoordinator
/// carries them; Kafka says "NONE" on success).
enum GroupErrorMessage {
    static func text(_ code: ErrorCode) -> String {
        switch code {
        case .noError: return "NONE"
        case .coordinatorNotAvailable: return "The coordinator is not available."
        case .coordinatorLoadInProgress: return "The coordinator is loading and hence can't process requests."
        case .notCoordinator: return "This is not the correct coordinator."
        case .invalidRequest:
            return "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details."
        default: return code.name
        }
    }
}
