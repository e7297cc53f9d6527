import KafkaProtocol

/// JoinGroup (key 11), v0–9: the first step of a rebalance. The answer is parked until the
/// join phase ends (every member rejoined, the rebalance timeout, or an empty group's
/// `group.initial.rebalance.delay.ms`).
/// - v0 has no rebalance timeout: the session timeout stands in for it.
/// - v4+: a dynamic member's first join answers MEMBER_ID_REQUIRED with its new member id.
/// - v5+ carry `group.instance.id` (static membership); v7+ answer the protocol type and a
///   nullable protocol name (older versions get "" for none); v8 adds a reason; v9 lets a
///   returning static leader skip its assignment.
struct JoinGroupHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...9
    let coordinator: GroupCoordinator

    func handle(_ request: JoinGroupRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<JoinGroupResponse>) -> Void) {
        let version = context.apiVersion
        let instanceId = version >= 5 ? request.groupInstanceId : nil
        let join = JoinRequest(
            groupId: request.groupId, memberId: request.memberId, groupInstanceId: instanceId,
            requireKnownMemberId: version >= 4 && instanceId == nil, supportSkippingAssignment: version >= 9,
            clientId: context.clientId ?? "", clientHost: "/" + context.clientHost,
            rebalanceTimeoutMs: version == 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
            sessionTimeoutMs: request.sessionTimeoutMs, protocolType: request.protocolType,
            protocols: request.protocols.map { MemberProtocol(name: $0.name, metadata: $0.metadata) },
            reason: version >= 8 ? request.reason : nil)
        coordinator.joinGroup(join) { result in
            respond(.of(Self.response(result, version: version)))
        }
    }

    static func response(_ r: JoinResult, version: Int16) -> JoinGroupResponse {
        JoinGroupResponse(
            errorCode: r.error.rawValue, generationId: r.generationId,
            protocolType: version >= 7 ? r.protocolType : nil,
            protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ""),
            leader: r.leaderId, skipAssignment: version >= 9 ? r.skipAssignment : false, memberId: r.memberId,
            members: r.members.map {
                .init(memberId: $0.memberId, groupInstanceId: version >= 5 ? $0.groupInstanceId : nil, metadata: $0.metadata)
            })
    }
}
