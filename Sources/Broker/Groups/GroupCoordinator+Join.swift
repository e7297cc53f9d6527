import KafkaProtocol

/// A JoinGroup as the coordinator needs it (the handler has applied the version rules).
struct JoinRequest: Sendable {
    var groupId: String
    var memberId: String
    var groupInstanceId: String?
    /// JoinGroup v4+ from a dynamic member: a first join only gets a member id back
    /// (MEMBER_ID_REQUIRED) and must come again with it.
    var requireKnownMemberId: Bool
    /// JoinGroup v9+: a restarted static leader may be told to skip its assignor.
    var supportSkippingAssignment: Bool
    var clientId: String
    var clientHost: String
    var rebalanceTimeoutMs: Int32
    var sessionTimeoutMs: Int32
    var protocolType: String
    var protocols: [MemberProtocol]
    var reason: String?
}

/// JoinGroup: Kafka's `handleJoinGroup` and the rebalance it drives.
extension GroupCoordinator {
    func joinGroup(_ request: JoinRequest, respond: @escaping JoinCallback) {
        run { c, core, replies in c.join(request, respond, &core, &replies) }
    }

    func join(_ r: JoinRequest, _ respond: @escaping JoinCallback, _ core: inout Core, _ replies: inout Replies) {
        if let error = status(r.groupId, core) {
            replies.append { respond(.failure(error, memberId: r.memberId)) }
            return
        }
        if r.sessionTimeoutMs < config.minSessionTimeoutMs || r.sessionTimeoutMs > config.maxSessionTimeoutMs {
            replies.append { respond(.failure(.invalidSessionTimeout, memberId: r.memberId)) }
            return
        }
        let isUnknown = r.memberId.isEmpty
        let found = withGroup(&core, r.groupId, create: isUnknown) { group in
            if !acceptJoiningMember(group, r.memberId) {
                group.remove(r.memberId)
                replies.append { respond(.failure(.groupMaxSizeReached, memberId: "")) }
            } else if isUnknown {
                newMemberJoin(&group, r, respond, &replies)
            } else {
                currentMemberJoin(&group, r, respond, &replies)
            }
            if group.is(.preparingRebalance) { checkAndCompleteJoin(&group, &replies) }
        }
        if !found {
            replies.append { respond(.failure(.unknownMemberId, memberId: r.memberId)) }
        }
    }

    /// `group.max.size`: members already in the group (or waiting in a rebalance) stay; new
    /// ones are turned away once the group is full.
    func acceptJoiningMember(_ group: ClassicGroup, _ memberId: String) -> Bool {
        switch group.state {
        case .empty, .dead: return true
        case .preparingRebalance:
            return group.member(memberId)?.isAwaitingJoin == true || group.numMembersAwaitingJoin < config.maxSize
        case .completingRebalance, .stable:
            return group.has(memberId) || group.size < config.maxSize
        }
    }

    func newMemberJoin(_ group: inout ClassicGroup, _ r: JoinRequest, _ respond: @escaping JoinCallback, _ replies: inout Replies) {
        if group.is(.dead) {
            replies.append { respond(.failure(.coordinatorNotAvailable, memberId: "")) }
            return
        }
        guard group.supportsProtocols(type: r.protocolType, names: Set(r.protocols.map(\.name))) else {
            replies.append { respond(.failure(.inconsistentGroupProtocol, memberId: "")) }
            return
        }
        let newId = ClassicGroup.newMemberId(clientId: r.clientId, groupInstanceId: r.groupInstanceId)
        if let instance = r.groupInstanceId {
            if let oldId = group.staticMemberId(instance) {
                logger.info("static member rejoins with a new member id", metadata: [
                    "group": "\(group.groupId)", "instance": "\(instance)", "old": "\(oldId)", "new": "\(newId)",
                ])
                updateStaticMemberAndRebalance(&group, oldId: oldId, newId: newId, instance: instance, r, respond, &replies)
            } else {
                addMemberAndRebalance(&group, memberId: newId, r, respond, &replies)
            }
        } else if r.requireKnownMemberId {
            // The id goes back to the client, which joins again with it; until then it is a
            // pending member, forgotten if it does not come back within its session timeout.
            group.addPendingMember(newId)
            let groupId = group.groupId
            schedule(afterMs: Int64(r.sessionTimeoutMs)) { c, core, replies in
                c.withGroup(&core, groupId) { group in
                    guard group.isPendingMember(newId) else { return }
                    c.removePendingMemberAndUpdateGroup(&group, newId, &replies)
                }
            }
            replies.append { respond(.failure(.memberIdRequired, memberId: newId)) }
        } else {
            addMemberAndRebalance(&group, memberId: newId, r, respond, &replies)
        }
    }

    func currentMemberJoin(_ group: inout ClassicGroup, _ r: JoinRequest, _ respond: @escaping JoinCallback, _ replies: inout Replies) {
        let memberId = r.memberId
        if group.is(.dead) {
            replies.append { respond(.failure(.coordinatorNotAvailable, memberId: memberId)) }
            return
        }
        guard group.supportsProtocols(type: r.protocolType, names: Set(r.protocols.map(\.name))) else {
            replies.append { respond(.failure(.inconsistentGroupProtocol, memberId: memberId)) }
            return
        }
        if group.isPendingMember(memberId) {
            // Pending ids are only handed to dynamic members; a static one claiming it is
            // confused (Kafka treats it as an internal error): make it start over.
            guard r.groupInstanceId == nil else {
                replies.append { respond(.failure(.unknownMemberId, memberId: memberId)) }
                return
            }
            addMemberAndRebalance(&group, memberId: memberId, r, respond, &replies)
            return
        }
        if let error = validateCurrentMember(group, memberId: memberId, instanceId: r.groupInstanceId) {
            replies.append { respond(.failure(error, memberId: memberId)) }
            return
        }
        guard let member = group.member(memberId) else { return }
        switch group.state {
        case .preparingRebalance:
            updateMemberAndRebalance(&group, r, respond, &replies)
        case .completingRebalance:
            if member.matches(r.protocols) {
                // It missed its JoinGroup answer: give it the current generation again.
                let result = currentGeneration(group, for: memberId, withMembers: group.isLeader(memberId))
                replies.append { respond(result) }
            } else {
                updateMemberAndRebalance(&group, r, respond, &replies)
            }
        case .stable:
            if group.isLeader(memberId) || !member.matches(r.protocols) {
                // A leader's JoinGroup asks for a rebalance (the topics may have changed
                // without any subscription changing); so does changed metadata.
                updateMemberAndRebalance(&group, r, respond, &replies)
            } else {
                let result = currentGeneration(group, for: memberId, withMembers: false)
                replies.append { respond(result) }
            }
        case .empty, .dead:
            replies.append { respond(.failure(.unknownMemberId, memberId: memberId)) }
        }
    }

    func currentGeneration(_ group: ClassicGroup, for memberId: String, withMembers: Bool, leader: String? = nil, skip: Bool = false) -> JoinResult {
        JoinResult(
            members: withMembers ? group.currentMemberMetadata : [], memberId: memberId, generationId: group.generationId,
            protocolType: group.protocolType, protocolName: group.protocolName, leaderId: leader ?? group.leaderId ?? "",
            skipAssignment: skip, error: .noError)
    }

    /// Kafka's `validateCurrentMember`: a static member's instance id must map to this member
    /// id (else it is a fenced duplicate or unknown), and the member must exist.
    func validateCurrentMember(_ group: ClassicGroup, memberId: String, instanceId: String?) -> ErrorCode? {
        if let instanceId {
            guard let current = group.staticMemberId(instanceId) else { return .unknownMemberId }
            if current != memberId { return .fencedInstanceId }
        }
        return group.has(memberId) ? nil : .unknownMemberId
    }

    func addMemberAndRebalance(_ group: inout ClassicGroup, memberId: String, _ r: JoinRequest, _ respond: @escaping JoinCallback, _ replies: inout Replies) {
        var member = GroupMember(
            memberId: memberId, groupInstanceId: r.groupInstanceId, clientId: r.clientId, clientHost: r.clientHost,
            rebalanceTimeoutMs: r.rebalanceTimeoutMs, sessionTimeoutMs: r.sessionTimeoutMs, protocolType: r.protocolType,
            protocols: r.protocols)
        member.awaitingJoin = respond
        member.isNew = true
        if group.is(.preparingRebalance) && group.generationId == 0 { group.newMemberAdded = true }
        group.add(member)
        // A new member has no id to heartbeat with and its socket is parked: only the long
        // new-member timeout removes it if it never comes back.
        scheduleSessionExpiry(&group, memberId, timeoutMs: Int64(config.newMemberJoinTimeoutMs))
        maybePrepareRebalance(&group, reason: "adding new member \(memberId)", &replies)
    }

    func updateMemberAndRebalance(_ group: inout ClassicGroup, _ r: JoinRequest, _ respond: @escaping JoinCallback, _ replies: inout Replies) {
        group.updateMember(
            r.memberId, protocols: r.protocols, rebalanceTimeoutMs: r.rebalanceTimeoutMs, sessionTimeoutMs: r.sessionTimeoutMs,
            callback: respond, replies: &replies)
        maybePrepareRebalance(&group, reason: "member \(r.memberId) rejoins", &replies)
    }

    /// A static member restarted (unknown member id, known instance id): it takes its old
    /// place under a new id. In a stable group whose protocol choice does not change, that is
    /// all: the group is stored with the new id and the member rejoins the current generation
    /// without a rebalance, keeping its assignment.
    func updateStaticMemberAndRebalance(
        _ group: inout ClassicGroup, oldId: String, newId: String, instance: String, _ r: JoinRequest,
        _ respond: @escaping JoinCallback, _ replies: inout Replies
    ) {
        let currentLeader = group.leaderId ?? ""
        guard group.replaceStaticMember(instanceId: instance, oldMemberId: oldId, newMemberId: newId, replies: &replies),
            let before = group.member(newId)
        else {
            replies.append { respond(.failure(.unknownMemberId, memberId: "")) }
            return
        }
        scheduleSessionExpiry(&group, newId)
        group.updateMember(
            newId, protocols: r.protocols, rebalanceTimeoutMs: r.rebalanceTimeoutMs, sessionTimeoutMs: r.sessionTimeoutMs,
            callback: respond, replies: &replies)
        switch group.state {
        case .stable:
            guard group.protocolName == group.selectProtocol() else {
                maybePrepareRebalance(&group, reason: "static member \(instance) rejoins with other protocols", &replies)
                return
            }
            let assignment = Dictionary(uniqueKeysWithValues: group.orderedMembers.map { ($0.memberId, $0.assignment) })
            if let error = storeGroup(group, assignment: assignment) {
                // Keep the old member id: its owner may still be alive and heartbeating.
                group.updateMember(
                    newId, protocols: before.protocols, rebalanceTimeoutMs: before.rebalanceTimeoutMs,
                    sessionTimeoutMs: before.sessionTimeoutMs, callback: nil, replies: &replies)
                _ = group.replaceStaticMember(instanceId: instance, oldMemberId: newId, newMemberId: oldId, replies: &replies)
                scheduleSessionExpiry(&group, oldId)
                var failure = currentGeneration(group, for: "", withMembers: false, leader: currentLeader)
                failure.error = error
                let result = failure
                replies.append { respond(result) }
            } else if r.supportSkippingAssignment {
                // v9+: a returning leader learns it leads, with the members, but skips the
                // assignor: the assignment stands.
                let isLeader = group.isLeader(newId)
                let result = currentGeneration(group, for: newId, withMembers: isLeader, skip: isLeader)
                group.invokeJoin(newId, result, replies: &replies)
            } else {
                // Older clients: name the previous leader id, so a returning leader does not
                // think it leads and run an assignment nobody would receive.
                let result = currentGeneration(group, for: newId, withMembers: false, leader: currentLeader)
                group.invokeJoin(newId, result, replies: &replies)
            }
        case .completingRebalance:
            // The leader may be assigning to the old id: start over.
            prepareRebalance(&group, reason: "static member \(instance) rejoins during CompletingRebalance", &replies)
        case .preparingRebalance:
            break
        case .empty, .dead:
            group.invokeJoin(newId, .failure(.unknownMemberId, memberId: newId), replies: &replies)
        }
    }

    // MARK: The join phase

    func maybePrepareRebalance(_ group: inout ClassicGroup, reason: String, _ replies: inout Replies) {
        if group.canRebalance { prepareRebalance(&group, reason: reason, &replies) }
    }

    /// Starts a rebalance: parked SyncGroups hear REBALANCE_IN_PROGRESS, and the join phase
    /// waits for the members, an empty group `group.initial.rebalance.delay.ms` (extended
    /// while new members keep arriving, up to the rebalance timeout), others at most the
    /// rebalance timeout.
    func prepareRebalance(_ group: inout ClassicGroup, reason: String, _ replies: inout Replies) {
        if group.is(.completingRebalance) {
            resetAndPropagateAssignmentError(&group, .rebalanceInProgress, &replies)
        }
        removeSyncExpiration(&group)
        let wasEmpty = group.is(.empty)
        guard group.transition(to: .preparingRebalance, now: clock()) else { return }
        logger.info("preparing to rebalance group", metadata: [
            "group": "\(group.groupId)", "generation": "\(group.generationId)", "reason": "\(reason)",
        ])
        if wasEmpty {
            let delay = Int64(config.initialRebalanceDelayMs)
            let remaining = max(Int64(group.rebalanceTimeoutMs) - delay, 0)
            scheduleJoin(&group, delayMs: delay, initial: .init(configuredDelayMs: delay, remainingMs: remaining))
        } else {
            scheduleJoin(&group, delayMs: Int64(group.rebalanceTimeoutMs), initial: nil)
            checkAndCompleteJoin(&group, &replies)
        }
    }

    func scheduleJoin(_ group: inout ClassicGroup, delayMs: Int64, initial: ClassicGroup.JoinTimer.Initial?) {
        let token = nextToken()
        group.joinTimer = .init(token: token, delayMs: delayMs, initial: initial)
        let groupId = group.groupId
        schedule(afterMs: delayMs) { c, core, replies in
            c.withGroup(&core, groupId) { group in c.joinTimerFired(&group, token: token, &replies) }
        }
    }

    func joinTimerFired(_ group: inout ClassicGroup, token: UInt64, _ replies: inout Replies) {
        guard let timer = group.joinTimer, timer.token == token else { return }
        group.joinTimer = nil
        if let initial = timer.initial, group.newMemberAdded && initial.remainingMs != 0 {
            // More members arrived during the initial delay: wait once more for stragglers.
            group.newMemberAdded = false
            let delay = min(initial.configuredDelayMs, initial.remainingMs)
            let remaining = max(initial.remainingMs - timer.delayMs, 0)
            scheduleJoin(&group, delayMs: delay, initial: .init(configuredDelayMs: initial.configuredDelayMs, remainingMs: remaining))
            return
        }
        completeJoin(&group, &replies)
    }

    /// The join phase ends early once every member has rejoined (not during the initial
    /// delay, which always runs its course).
    func checkAndCompleteJoin(_ group: inout ClassicGroup, _ replies: inout Replies) {
        guard let timer = group.joinTimer, timer.initial == nil, group.hasAllMembersJoined else { return }
        group.joinTimer = nil
        completeJoin(&group, &replies)
    }

    /// Kafka's `onCompleteJoin`: dynamic members that did not rejoin are dropped, the next
    /// generation starts, and every member gets its JoinGroup answer (the leader with every
    /// member's metadata).
    func completeJoin(_ group: inout ClassicGroup, _ replies: inout Replies) {
        for member in group.notYetRejoinedMembers where !member.isStatic {
            logger.info("removing a member that did not rejoin in time", metadata: ["group": "\(group.groupId)", "member": "\(member.memberId)"])
            group.remove(member.memberId)
        }
        if group.is(.dead) { return }
        if !group.maybeElectNewJoinedLeader() && !group.isEmptyOfMembers {
            // Only static members that have not rejoined remain: wait for them (or for their
            // sessions to expire).
            logger.warning("group could not complete its rebalance: no member rejoined", metadata: ["group": "\(group.groupId)"])
            scheduleJoin(&group, delayMs: Int64(group.rebalanceTimeoutMs), initial: nil)
            return
        }
        group.initNextGeneration(now: clock())
        if group.is(.empty) {
            logger.info("group is now empty", metadata: ["group": "\(group.groupId)", "generation": "\(group.generationId)"])
            if let error = storeGroup(group, assignment: [:]) {
                logger.warning("cannot store empty group metadata", metadata: ["group": "\(group.groupId)", "error": "\(error)"])
            }
            return
        }
        logger.info("stabilized group", metadata: [
            "group": "\(group.groupId)", "generation": "\(group.generationId)", "members": "\(group.size)",
            "protocol": "\(group.protocolName ?? "")",
        ])
        for member in group.orderedMembers {
            let result = currentGeneration(group, for: member.memberId, withMembers: group.isLeader(member.memberId))
            group.invokeJoin(member.memberId, result, replies: &replies)
            scheduleSessionExpiry(&group, member.memberId)
            group.updateMember(member.memberId) { $0.isNew = false }
            group.addPendingSyncMember(member.memberId)
        }
        schedulePendingSync(&group)
    }

    // MARK: Sessions

    /// Restarts a member's session: it is removed if nothing renews it within `timeoutMs`
    /// (its session timeout unless given). Members parked in a rebalance are not expired.
    func scheduleSessionExpiry(_ group: inout ClassicGroup, _ memberId: String, timeoutMs: Int64? = nil) {
        guard let member = group.member(memberId) else { return }
        let token = nextToken()
        group.updateMember(memberId) { $0.heartbeatEpoch = token }
        if member.hasSatisfiedHeartbeat { return }
        let groupId = group.groupId
        schedule(afterMs: timeoutMs ?? Int64(member.sessionTimeoutMs)) { c, core, replies in
            c.withGroup(&core, groupId) { group in
                guard let member = group.member(memberId), member.heartbeatEpoch == token, !member.hasSatisfiedHeartbeat else { return }
                c.logger.info("member session expired; removing it", metadata: ["group": "\(groupId)", "member": "\(memberId)"])
                c.removeMemberAndUpdateGroup(&group, memberId, &replies)
            }
        }
    }

    /// Removes a member and lets the group react: a rebalance if it was stable, or the end of
    /// the join phase if everyone else is in.
    func removeMemberAndUpdateGroup(_ group: inout ClassicGroup, _ memberId: String, _ replies: inout Replies) {
        group.invokeJoin(memberId, .failure(.unknownMemberId, memberId: ""), replies: &replies)
        group.invokeSync(memberId, .failure(.unknownMemberId), replies: &replies)
        group.remove(memberId)
        switch group.state {
        case .dead, .empty: break
        case .stable, .completingRebalance: maybePrepareRebalance(&group, reason: "removing member \(memberId)", &replies)
        case .preparingRebalance: checkAndCompleteJoin(&group, &replies)
        }
    }

    func removePendingMemberAndUpdateGroup(_ group: inout ClassicGroup, _ memberId: String, _ replies: inout Replies) {
        group.remove(memberId)
        if group.is(.preparingRebalance) { checkAndCompleteJoin(&group, &replies) }
    }
}
