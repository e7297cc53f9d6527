import KafkaProtocol

/// SyncGroup (key 14), v0–5: the leader sends the assignment, every member receives its own.
/// Followers' requests are parked until the leader's arrives (or the group rebalances).
/// - v3+ carry `group.instance.id`.
/// - v5+ must name the protocol type and name, which must be the group's
///   (INCONSISTENT_GROUP_PROTOCOL), and the answer names them too.
struct SyncGroupHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...5
    let coordinator: GroupCoordinator

    func handle(_ request: SyncGroupRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<SyncGroupResponse>) -> Void) {
        let version = context.apiVersion
        if version >= 5 && (request.protocolType == nil || request.protocolName == nil) {
            return respond(.of(SyncGroupResponse(errorCode: ErrorCode.inconsistentGroupProtocol.rawValue)))
        }
        let sync = SyncRequest(
            groupId: request.groupId, generationId: request.generationId, memberId: request.memberId,
            groupInstanceId: version >= 3 ? request.groupInstanceId : nil,
            protocolType: version >= 5 ? request.protocolType : nil, protocolName: version >= 5 ? request.protocolName : nil,
            assignments: Dictionary(request.assignments.map { ($0.memberId, $0.assignment) }, uniquingKeysWith: { _, last in last }))
        coordinator.syncGroup(sync) { result in
            respond(.of(SyncGroupResponse(
                errorCode: result.error.rawValue,
                protocolType: version >= 5 ? result.protocolType : nil, protocolName: version >= 5 ? result.protocolName : nil,
                assignment: result.assignment)))
        }
    }
}
