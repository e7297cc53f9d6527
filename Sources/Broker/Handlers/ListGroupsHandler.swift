import KafkaProtocol

/// ListGroups (key 16), v0–4: the groups this broker coordinates. v4 filters by state
/// (case-insensitive) and answers each group's state. COORDINATOR_LOAD_IN_PROGRESS (with the
/// groups loaded so far) while partitions of `__consumer_offsets` are still loading.
struct ListGroupsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...4
    let coordinator: GroupCoordinator

    func handle(_ request: ListGroupsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<ListGroupsResponse>) -> Void) {
        let version = context.apiVersion
        coordinator.listGroups(states: version >= 4 ? request.statesFilter : []) { error, groups in
            respond(.of(ListGroupsResponse(
                errorCode: error.rawValue,
                groups: groups.map { .init(groupId: $0.groupId, protocolType: $0.protocolType, groupState: version >= 4 ? $0.state : "") })))
        }
    }
}
