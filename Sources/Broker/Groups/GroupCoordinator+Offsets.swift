import KafkaProtocol
import LogStore

/// One partition's answer to OffsetFetch.
struct FetchedOffset: Sendable, Equatable {
    var topicPartition: TopicPartition
    /// nil: nothing committed (the response carries offset -1).
    var offset: CommittedOffset?
    var error: ErrorCode
}

/// Offset commits and fetches, and writing group state to `__consumer_offsets`: Kafka's
/// `handleCommitOffsets`, `handleFetchOffsets`, `storeOffsets` and `storeGroup`.
extension GroupCoordinator {
    /// Commits offsets. Generation -1 with an empty member id commits for a group without
    /// members (simple consumers, admin tools); members commit with their generation.
    func commitOffsets(
        groupId: String, memberId: String, groupInstanceId: String?, generationId: Int32,
        offsets: [(TopicPartition, CommittedOffset)], respond: @escaping @Sendable ([TopicPartition: ErrorCode]) -> Void
    ) {
        run { c, core, replies in
            let result = c.commit(groupId, memberId, groupInstanceId, generationId, offsets, &core)
            replies.append { respond(result) }
        }
    }

    func commit(
        _ groupId: String, _ memberId: String, _ instanceId: String?, _ generation: Int32,
        _ offsets: [(TopicPartition, CommittedOffset)], _ core: inout Core
    ) -> [TopicPartition: ErrorCode] {
        func all(_ e: ErrorCode) -> [TopicPartition: ErrorCode] {
            Dictionary(offsets.map { ($0.0, e) }, uniquingKeysWith: { a, _ in a })
        }
        if let error = status(groupId, core, allowEmptyId: true) { return all(error) }
        if core.groups[groupId] == nil && generation >= 0 {
            // A member of a generation this coordinator never saw (or an expired group).
            return all(.illegalGeneration)
        }
        let partition = self.partition(for: groupId)
        var result: [TopicPartition: ErrorCode] = [:]
        withGroup(&core, groupId, create: true) { group in
            if let error = validateOffsetCommit(group, memberId: memberId, instanceId: instanceId, generation: generation) {
                result = all(error)
                return
            }
            switch group.state {
            case .empty:
                result = storeOffsets(&group, partition: partition, offsets)
            case .stable, .preparingRebalance:
                // Commits still count in a rebalance: the heartbeat answer tells the member
                // to rejoin, and it commits what it consumed before it does.
                scheduleSessionExpiry(&group, memberId)
                result = storeOffsets(&group, partition: partition, offsets)
            case .completingRebalance:
                result = all(.rebalanceInProgress)
            case .dead:
                result = all(.coordinatorNotAvailable)
            }
        }
        return result
    }

    func validateOffsetCommit(_ group: ClassicGroup, memberId: String, instanceId: String?, generation: Int32) -> ErrorCode? {
        if group.is(.dead) { return .coordinatorNotAvailable }
        if generation < 0 && group.is(.empty) { return nil }
        if generation >= 0 || !memberId.isEmpty || instanceId != nil {
            if let error = validateCurrentMember(group, memberId: memberId, instanceId: instanceId) { return error }
            return generation == group.generationId ? nil : .illegalGeneration
        }
        // Without a member id only an empty group takes commits.
        return group.is(.empty) ? nil : .unknownMemberId
    }

    /// Writes the commits as one batch; the cache follows only once they are in the log.
    func storeOffsets(_ group: inout ClassicGroup, partition: Int32, _ offsets: [(TopicPartition, CommittedOffset)]) -> [TopicPartition: ErrorCode] {
        var result: [TopicPartition: ErrorCode] = [:]
        var valid: [(TopicPartition, CommittedOffset)] = []
        var records: [GroupLogRecord] = []
        for (tp, offset) in offsets {
            guard offset.metadata.utf8.count <= config.offsetMetadataMaxBytes else {
                result[tp] = .offsetMetadataTooLarge
                continue
            }
            do {
                let key = try GroupRecordKey.offset(group: group.groupId, topicPartition: tp).encode()
                records.append(GroupLogRecord(key: key, value: try OffsetCommitRecord.encode(offset)))
                valid.append((tp, offset))
            } catch {
                result[tp] = .invalidCommitOffsetSize
            }
        }
        guard !records.isEmpty else { return result }
        group.prepareOffsetCommit(Dictionary(valid.map { ($0.0, $0.1) }, uniquingKeysWith: { _, b in b }))
        switch log.append(partition: partition, records: records, timestamp: clock()) {
        case .success:
            for (tp, offset) in valid {
                group.completeOffsetCommit(tp, offset)
                result[tp] = .noError
            }
        case .failure(let e):
            let code = Self.commitError(e.code)
            logger.warning("offset commit failed", metadata: ["group": "\(group.groupId)", "error": "\(e.message)"])
            for (tp, offset) in valid {
                group.failOffsetCommit(tp, offset)
                result[tp] = code
            }
        }
        return result
    }

    /// What a failed append of commits means to the client (Kafka's
    /// `maybeConvertOffsetCommitError`).
    static func commitError(_ code: ErrorCode) -> ErrorCode {
        switch code {
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend: return .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError: return .notCoordinator
        case .messageTooLarge, .recordListTooLarge, .invalidFetchSize: return .invalidCommitOffsetSize
        default: return code
        }
    }

    /// Writes the group's metadata record (after a completed join phase or a static member's
    /// return): nil on success, else the error for the members (Kafka's `storeGroup`).
    func storeGroup(_ group: ClassicGroup, assignment: [String: [UInt8]]) -> ErrorCode? {
        let record = GroupMetadataRecord(
            protocolType: group.protocolType ?? "", generation: group.generationId, protocolName: group.protocolName,
            leader: group.leaderId, currentStateTimestamp: group.currentStateTimestamp ?? -1,
            members: group.orderedMembers.map { m in
                GroupMetadataRecord.Member(
                    memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
                    rebalanceTimeoutMs: m.rebalanceTimeoutMs, sessionTimeoutMs: m.sessionTimeoutMs,
                    subscription: group.protocolName.flatMap { m.metadata(for: $0) } ?? [], assignment: assignment[m.memberId] ?? [])
            })
        let records: [GroupLogRecord]
        do {
            records = [GroupLogRecord(key: try GroupRecordKey.groupMetadata(group: group.groupId).encode(), value: try record.encode())]
        } catch {
            return .unknownServerError
        }
        let partition = self.partition(for: group.groupId)
        switch log.append(partition: partition, records: records, timestamp: clock()) {
        case .success:
            return nil
        case .failure(let e):
            logger.warning("cannot store group metadata", metadata: ["group": "\(group.groupId)", "error": "\(e.message)"])
            switch e.code {
            case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend: return .coordinatorNotAvailable
            case .notLeaderOrFollower, .kafkaStorageError: return .notCoordinator
            case .requestTimedOut: return .rebalanceInProgress
            case .messageTooLarge, .recordListTooLarge, .invalidFetchSize: return .unknownServerError
            default: return e.code
            }
        }
    }

    // MARK: OffsetFetch

    /// The committed offsets of a group: the partitions asked for, or all (nil). Offsets are
    /// answered whatever the group's state: groups may use Kafka only to store offsets.
    func fetchOffsets(_ requests: [(groupId: String, partitions: [TopicPartition]?)],
                      respond: @escaping @Sendable ([(ErrorCode, [FetchedOffset])]) -> Void) {
        run { c, core, replies in
            let results = requests.map { c.fetch($0.groupId, $0.partitions, core) }
            replies.append { respond(results) }
        }
    }

    func fetch(_ groupId: String, _ partitions: [TopicPartition]?, _ core: Core) -> (ErrorCode, [FetchedOffset]) {
        if let error = status(groupId, core, allowEmptyId: true) { return (error, []) }
        guard let group = core.groups[groupId], !group.is(.dead) else {
            return (.noError, (partitions ?? []).map { FetchedOffset(topicPartition: $0, offset: nil, error: .noError) })
        }
        guard let partitions else {
            return (.noError, group.allOffsets.sorted { $0.key < $1.key }.map { FetchedOffset(topicPartition: $0.key, offset: $0.value, error: .noError) })
        }
        return (.noError, partitions.map { FetchedOffset(topicPartition: $0, offset: group.offset($0), error: .noError) })
    }
}
