import KafkaProtocol

/// DeleteGroups (key 42), v0–2: deletes empty groups and their committed offsets.
/// NON_EMPTY_GROUP for groups with members, GROUP_ID_NOT_FOUND for unknown ones.
struct DeleteGroupsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...2
    let coordinator: GroupCoordinator

    func handle(_ request: DeleteGroupsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<DeleteGroupsResponse>) -> Void) {
        var unique: [String] = []
        for id in request.groupsNames where !unique.contains(id) { unique.append(id) }
        let ids = unique
        coordinator.deleteGroups(ids) { errors in
            respond(.of(DeleteGroupsResponse(results: ids.map {
                .init(groupId: $0, errorCode: (errors[$0] ?? .unknownServerError).rawValue)
            })))
        }
    }
}
