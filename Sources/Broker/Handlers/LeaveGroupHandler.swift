import KafkaProtocol

/// LeaveGroup (key 13), v0–5.
/// - v0–2: one member id; its error is the top-level error.
/// - v3+: a batch of members (an empty member id with a `group.instance.id` removes a static
///   member, as the admin client does), each answered on its own; v5 adds reasons.
struct LeaveGroupHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...5
    let coordinator: GroupCoordinator

    func handle(_ request: LeaveGroupRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<LeaveGroupResponse>) -> Void) {
        let version = context.apiVersion
        let members = version >= 3
            ? request.members.map { LeavingMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, reason: version >= 5 ? $0.reason : nil) }
            : [LeavingMember(memberId: request.memberId, groupInstanceId: nil, reason: nil)]
        coordinator.leaveGroup(groupId: request.groupId, members: members) { top, errors in
            if version >= 3 {
                respond(.of(LeaveGroupResponse(
                    errorCode: top.rawValue,
                    members: zip(members, errors).map { .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, errorCode: $1.rawValue) })))
            } else {
                let error = top != .noError ? top : errors.first { $0 != .noError } ?? .noError
                respond(.of(LeaveGroupResponse(errorCode: error.rawValue)))
            }
        }
    }
}
