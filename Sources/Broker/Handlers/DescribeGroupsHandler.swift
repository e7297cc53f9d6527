import KafkaProtocol

/// DescribeGroups (key 15), v0–5: state, protocol type and name, and members (with their
/// metadata and assignments once the group is stable). An unknown group is described as Dead
/// with no error, as Kafka does before v6. v3+ may ask for the authorized operations (all of a
/// group's: no authorizer here); v4+ show `group.instance.id`.
struct DescribeGroupsHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...5
    let coordinator: GroupCoordinator

    /// READ 3, DELETE 6, DESCRIBE 8: what Kafka lists for a group.
    static let groupOperations = AclOperations.bits([3, 6, 8])

    func handle(_ request: DescribeGroupsRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<DescribeGroupsResponse>) -> Void) {
        let version = context.apiVersion
        let ids = request.groups
        let operations = version >= 3 && request.includeAuthorizedOperations ? Self.groupOperations : Int32.min
        coordinator.describeGroups(ids) { results in
            respond(.of(DescribeGroupsResponse(groups: zip(ids, results).map { id, result in
                let (error, summary) = result
                return .init(
                    errorCode: error.rawValue, groupId: id, groupState: summary.state, protocolType: summary.protocolType,
                    protocolData: summary.protocolName,
                    members: summary.members.map {
                        .init(memberId: $0.memberId, groupInstanceId: version >= 4 ? $0.groupInstanceId : nil, clientId: $0.clientId,
                              clientHost: $0.clientHost, memberMetadata: $0.metadata, memberAssignment: $0.assignment)
                    },
                    authorizedOperations: operations)
            })))
        }
    }
}
