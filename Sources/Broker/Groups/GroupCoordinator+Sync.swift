import KafkaProtocol

/// A SyncGroup as the coordinator needs it.
struct SyncRequest: Sendable {
    var groupId: String
    var generationId: Int32
    var memberId: String
    var groupInstanceId: String?
    /// v5+: must match the group's (INCONSISTENT_GROUP_PROTOCOL otherwise).
    var protocolType: String?
    var protocolName: String?
    /// The leader's assignment by member id (followers send none).
    var assignments: [String: [UInt8]]
}

/// One member named in a LeaveGroup (v3+ batches them; an empty member id with an instance
/// id removes a static member administratively).
struct LeavingMember: Sendable {
    var memberId: String
    var groupInstanceId: String?
    var reason: String?
}

/// SyncGroup, Heartbeat and LeaveGroup: Kafka's `handleSyncGroup`, `handleHeartbeat`,
/// `handleLeaveGroup`.
extension GroupCoordinator {
    func syncGroup(_ request: SyncRequest, respond: @escaping SyncCallback) {
        run { c, core, replies in c.sync(request, respond, &core, &replies) }
    }

    func sync(_ r: SyncRequest, _ respond: @escaping SyncCallback, _ core: inout Core, _ replies: inout Replies) {
        if let error = status(r.groupId, core) {
            // While loading, the rebalance this member was in is lost: REBALANCE_IN_PROGRESS
            // makes it rejoin without looking for the coordinator again (older clients do not
            // expect COORDINATOR_LOAD_IN_PROGRESS here).
            let answer: ErrorCode = error == .coordinatorLoadInProgress ? .rebalanceInProgress : error
            replies.append { respond(.failure(answer)) }
            return
        }
        let found = withGroup(&core, r.groupId) { group in
            if let error = validateSync(group, r) {
                replies.append { respond(.failure(error)) }
                return
            }
            switch group.state {
            case .empty:
                replies.append { respond(.failure(.unknownMemberId)) }
            case .preparingRebalance:
                replies.append { respond(.failure(.rebalanceInProgress)) }
            case .completingRebalance:
                group.parkSync(r.memberId, respond, replies: &replies)
                removePendingSyncMember(&group, r.memberId)
                if group.isLeader(r.memberId) {
                    completeSync(&group, leaderAssignments: r.assignments, &replies)
                }
            case .stable:
                removePendingSyncMember(&group, r.memberId)
                let result = SyncResult(
                    protocolType: group.protocolType, protocolName: group.protocolName,
                    assignment: group.member(r.memberId)?.assignment ?? [], error: .noError)
                replies.append { respond(result) }
                scheduleSessionExpiry(&group, r.memberId)
            case .dead:
                replies.append { respond(.failure(.coordinatorNotAvailable)) }
            }
        }
        if !found { replies.append { respond(.failure(.unknownMemberId)) } }
    }

    func validateSync(_ group: ClassicGroup, _ r: SyncRequest) -> ErrorCode? {
        if group.is(.dead) { return .coordinatorNotAvailable }
        if let error = validateCurrentMember(group, memberId: r.memberId, instanceId: r.groupInstanceId) { return error }
        if r.generationId != group.generationId { return .illegalGeneration }
        if let type = r.protocolType, group.protocolType != type { return .inconsistentGroupProtocol }
        if let name = r.protocolName, group.protocolName != name { return .inconsistentGroupProtocol }
        return nil
    }

    /// The leader's assignment arrived: store the group, then hand every member its part and
    /// call the group stable. Members the leader left out get an empty assignment.
    func completeSync(_ group: inout ClassicGroup, leaderAssignments: [String: [UInt8]], _ replies: inout Replies) {
        var assignment: [String: [UInt8]] = [:]
        for member in group.orderedMembers { assignment[member.memberId] = leaderAssignments[member.memberId] ?? [] }
        logger.info("assignment received from the leader", metadata: [
            "group": "\(group.groupId)", "generation": "\(group.generationId)", "members": "\(group.size)",
        ])
        if let error = storeGroup(group, assignment: assignment) {
            resetAndPropagateAssignmentError(&group, error, &replies)
            maybePrepareRebalance(&group, reason: "error \(error) storing the assignment", &replies)
            return
        }
        for member in group.orderedMembers {
            group.updateMember(member.memberId) { $0.assignment = assignment[member.memberId] ?? [] }
        }
        propagateAssignment(&group, .noError, &replies)
        group.transition(to: .stable, now: clock())
    }

    func resetAndPropagateAssignmentError(_ group: inout ClassicGroup, _ error: ErrorCode, _ replies: inout Replies) {
        for member in group.orderedMembers { group.updateMember(member.memberId) { $0.assignment = [] } }
        propagateAssignment(&group, error, &replies)
    }

    /// Answers every parked SyncGroup; a member that got its answer starts a fresh session
    /// (its session may have lapsed while it waited for the leader).
    func propagateAssignment(_ group: inout ClassicGroup, _ error: ErrorCode, _ replies: inout Replies) {
        for member in group.orderedMembers {
            let result = error == .noError
                ? SyncResult(protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment, error: .noError)
                : SyncResult.failure(error)
            if group.invokeSync(member.memberId, result, replies: &replies) {
                scheduleSessionExpiry(&group, member.memberId)
            }
        }
    }

    // MARK: Pending syncs

    /// After a join phase every member must send SyncGroup within the rebalance timeout;
    /// those that do not are removed and the group rebalances without them.
    func schedulePendingSync(_ group: inout ClassicGroup) {
        let token = nextToken()
        group.syncTimer = token
        let groupId = group.groupId
        let generation = group.generationId
        schedule(afterMs: Int64(group.rebalanceTimeoutMs)) { c, core, replies in
            c.withGroup(&core, groupId) { group in
                guard group.syncTimer == token else { return }
                group.syncTimer = nil
                guard generation == group.generationId, group.is(.completingRebalance) || group.is(.stable),
                    !group.hasReceivedSyncFromAllMembers
                else { return }
                let missing = group.pendingSyncMembers.sorted()
                for id in missing { group.remove(id) }
                c.logger.info("removed members that did not send SyncGroup in time", metadata: ["group": "\(groupId)", "members": "\(missing)"])
                c.prepareRebalance(&group, reason: "pending sync expired for \(missing)", &replies)
            }
        }
    }

    func removePendingSyncMember(_ group: inout ClassicGroup, _ memberId: String) {
        group.removePendingSyncMember(memberId)
        if group.hasReceivedSyncFromAllMembers { group.syncTimer = nil }
    }

    func removeSyncExpiration(_ group: inout ClassicGroup) {
        group.clearPendingSyncMembers()
        group.syncTimer = nil
    }

    // MARK: Heartbeat

    func heartbeat(groupId: String, memberId: String, groupInstanceId: String?, generationId: Int32,
                   respond: @escaping @Sendable (ErrorCode) -> Void) {
        run { c, core, replies in
            let error = c.heartbeat(groupId, memberId, groupInstanceId, generationId, &core)
            replies.append { respond(error) }
        }
    }

    func heartbeat(_ groupId: String, _ memberId: String, _ instanceId: String?, _ generation: Int32, _ core: inout Core) -> ErrorCode {
        if let error = status(groupId, core) {
            // While loading, answer blindly: the member learns of any change once loaded.
            return error == .coordinatorLoadInProgress ? .noError : error
        }
        var answer = ErrorCode.unknownMemberId
        withGroup(&core, groupId) { group in
            if group.is(.dead) { answer = .coordinatorNotAvailable; return }
            if let error = validateCurrentMember(group, memberId: memberId, instanceId: instanceId) { answer = error; return }
            if generation != group.generationId { answer = .illegalGeneration; return }
            switch group.state {
            case .empty, .dead:
                answer = .unknownMemberId
            case .completingRebalance, .stable:
                scheduleSessionExpiry(&group, memberId)
                answer = .noError
            case .preparingRebalance:
                scheduleSessionExpiry(&group, memberId)
                answer = .rebalanceInProgress
            }
        }
        return answer
    }

    // MARK: LeaveGroup

    func leaveGroup(groupId: String, members: [LeavingMember], respond: @escaping @Sendable (ErrorCode, [ErrorCode]) -> Void) {
        run { c, core, replies in
            let (top, each) = c.leave(groupId, members, &core, &replies)
            replies.append { respond(top, each) }
        }
    }

    func leave(_ groupId: String, _ leaving: [LeavingMember], _ core: inout Core, _ replies: inout Replies) -> (ErrorCode, [ErrorCode]) {
        if let error = status(groupId, core) { return (error, []) }
        var result: (ErrorCode, [ErrorCode]) = (.noError, leaving.map { _ in .unknownMemberId })
        withGroup(&core, groupId) { group in
            if group.is(.dead) { result = (.coordinatorNotAvailable, []); return }
            var errors: [ErrorCode] = []
            for m in leaving {
                if m.memberId.isEmpty {
                    // Administrative removal of a static member by its instance id.
                    if let instance = m.groupInstanceId, let current = group.staticMemberId(instance) {
                        removeLeavingMember(&group, current, reason: m.reason, &replies)
                        errors.append(.noError)
                    } else {
                        errors.append(.unknownMemberId)
                    }
                } else if group.isPendingMember(m.memberId) {
                    removePendingMemberAndUpdateGroup(&group, m.memberId, &replies)
                    errors.append(.noError)
                } else if let error = validateCurrentMember(group, memberId: m.memberId, instanceId: m.groupInstanceId) {
                    errors.append(error)
                } else {
                    removeLeavingMember(&group, m.memberId, reason: m.reason, &replies)
                    errors.append(.noError)
                }
            }
            result = (.noError, errors)
        }
        return result
    }

    func removeLeavingMember(_ group: inout ClassicGroup, _ memberId: String, reason: String?, _ replies: inout Replies) {
        logger.info("member leaves the group", metadata: [
            "group": "\(group.groupId)", "member": "\(memberId)", "reason": "\(reason ?? "not provided")",
        ])
        removeMemberAndUpdateGroup(&group, memberId, &replies)
    }
}
