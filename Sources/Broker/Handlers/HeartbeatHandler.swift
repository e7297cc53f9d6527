import KafkaProtocol

/// Heartbeat (key 12), v0–4: keeps a member's session alive. REBALANCE_IN_PROGRESS tells it
/// to rejoin; UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and FENCED_INSTANCE_ID that it was
/// removed, is behind, or was replaced by a newer instance. v3+ carry `group.instance.id`.
struct HeartbeatHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...4
    let coordinator: GroupCoordinator

    func handle(_ request: HeartbeatRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<HeartbeatResponse>) -> Void) {
        coordinator.heartbeat(
            groupId: request.groupId, memberId: request.memberId,
            groupInstanceId: context.apiVersion >= 3 ? request.groupInstanceId : nil, generationId: request.generationId
        ) { error in
            respond(.of(HeartbeatResponse(errorCode: error.rawValue)))
        }
    }
}
