import KafkaProtocol
import LogStore

/// A group as DescribeGroups shows it (Kafka's `GroupSummary`).
struct GroupSummary: Sendable, Equatable {
    struct Member: Sendable, Equatable {
        var memberId: String
        var groupInstanceId: String?
        var clientId: String
        var clientHost: String
        var metadata: [UInt8]
        var assignment: [UInt8]
    }

    var state: String
    var protocolType: String
    var protocolName: String
    var members: [Member]

    static let dead = GroupSummary(state: GroupState.dead.rawValue, protocolType: "", protocolName: "", members: [])
}

/// A group as ListGroups shows it.
struct GroupOverview: Sendable, Equatable {
    var groupId: String
    var protocolType: String
    var state: String
}

/// DescribeGroups, ListGroups, DeleteGroups, OffsetDelete and offset expiry.
extension GroupCoordinator {
    func describeGroups(_ groupIds: [String], respond: @escaping @Sendable ([(ErrorCode, GroupSummary)]) -> Void) {
        run { c, core, replies in
            let results = groupIds.map { c.describe($0, core) }
            replies.append { respond(results) }
        }
    }

    func describe(_ groupId: String, _ core: Core) -> (ErrorCode, GroupSummary) {
        if let error = status(groupId, core, allowEmptyId: true) {
            return (error, GroupSummary(state: "", protocolType: "", protocolName: "", members: []))
        }
        guard let group = core.groups[groupId] else { return (.noError, .dead) }
        // Metadata and assignments are only shown once the group is stable: before, they
        // belong to a generation that is being replaced.
        let stable = group.is(.stable)
        let name = stable ? group.protocolName ?? "" : ""
        let members = group.orderedMembers.map { m in
            GroupSummary.Member(
                memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
                metadata: stable ? m.metadata(for: name) ?? [] : [], assignment: stable ? m.assignment : [])
        }
        return (.noError, GroupSummary(state: group.state.rawValue, protocolType: group.protocolType ?? "", protocolName: name, members: members))
    }

    /// The groups of the loaded partitions, optionally only those in the given states
    /// (case-insensitive names). COORDINATOR_LOAD_IN_PROGRESS while partitions still load.
    func listGroups(states: [String], respond: @escaping @Sendable (ErrorCode, [GroupOverview]) -> Void) {
        run { _, core, replies in
            guard core.active else {
                replies.append { respond(.coordinatorNotAvailable, []) }
                return
            }
            let wanted = Set(states.map { $0.lowercased() })
            let error: ErrorCode = core.partitions.values.contains(.loading) ? .coordinatorLoadInProgress : .noError
            let groups = core.groups.values
                .filter { wanted.isEmpty || wanted.contains($0.state.rawValue.lowercased()) }
                .sorted { $0.groupId < $1.groupId }
                .map { GroupOverview(groupId: $0.groupId, protocolType: $0.protocolType ?? "", state: $0.state.rawValue) }
            replies.append { respond(error, groups) }
        }
    }

    // MARK: DeleteGroups

    /// Deletes empty groups with their offsets (tombstones in the log). Groups with members
    /// answer NON_EMPTY_GROUP; unknown ones GROUP_ID_NOT_FOUND.
    func deleteGroups(_ groupIds: [String], respond: @escaping @Sendable ([String: ErrorCode]) -> Void) {
        run { c, core, replies in
            var result: [String: ErrorCode] = [:]
            for groupId in groupIds {
                if let error = c.status(groupId, core, allowEmptyId: true) {
                    result[groupId] = error
                    continue
                }
                let found = c.withGroup(&core, groupId) { group in
                    switch group.state {
                    case .dead:
                        result[groupId] = .groupIdNotFound
                    case .empty:
                        let removed = group.removeAllOffsets()
                        group.transition(to: .dead, now: c.clock())
                        result[groupId] = c.writeTombstones(group, offsets: removed, groupRecord: true) ?? .noError
                        c.logger.info("deleted group", metadata: ["group": "\(groupId)", "offsets": "\(removed.count)"])
                    case .stable, .preparingRebalance, .completingRebalance:
                        result[groupId] = .nonEmptyGroup
                    }
                }
                if !found { result[groupId] = .groupIdNotFound }
            }
            let answer = result
            replies.append { respond(answer) }
        }
    }

    // MARK: OffsetDelete

    /// Deletes some committed offsets of a group: any of an empty group's, and of a consumer
    /// group's only those of topics no member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC).
    func deleteOffsets(groupId: String, partitions: [TopicPartition],
                       respond: @escaping @Sendable (ErrorCode, [TopicPartition: ErrorCode]) -> Void) {
        run { c, core, replies in
            if let error = c.status(groupId, core, allowEmptyId: true) {
                replies.append { respond(error, [:]) }
                return
            }
            var groupError = ErrorCode.noError
            var errors: [TopicPartition: ErrorCode] = [:]
            let found = c.withGroup(&core, groupId) { group in
                var eligible: [TopicPartition] = []
                switch group.state {
                case .dead:
                    groupError = .groupIdNotFound
                case .empty:
                    eligible = partitions
                case .preparingRebalance, .completingRebalance, .stable:
                    guard group.protocolType == "consumer" else {
                        groupError = .nonEmptyGroup
                        return
                    }
                    for tp in partitions {
                        if group.isSubscribed(to: tp.topic) { errors[tp] = .groupSubscribedToTopic } else { eligible.append(tp) }
                    }
                }
                guard !eligible.isEmpty else { return }
                let removed = group.removeOffsets(eligible)
                let error = c.writeTombstones(group, offsets: removed, groupRecord: false)
                for tp in eligible { errors[tp] = error ?? .noError }
            }
            if !found { groupError = .groupIdNotFound }
            let error = groupError
            let answer = error == .noError ? errors : [:]
            replies.append { respond(error, answer) }
        }
    }

    /// Tombstones for removed offsets, and for the group itself if asked: one batch.
    func writeTombstones(_ group: ClassicGroup, offsets: [TopicPartition], groupRecord: Bool) -> ErrorCode? {
        var records: [GroupLogRecord] = []
        for tp in offsets {
            if let key = try? GroupRecordKey.offset(group: group.groupId, topicPartition: tp).encode() {
                records.append(GroupLogRecord(key: key, value: nil))
            }
        }
        if groupRecord, let key = try? GroupRecordKey.groupMetadata(group: group.groupId).encode() {
            records.append(GroupLogRecord(key: key, value: nil))
        }
        guard !records.isEmpty else { return nil }
        switch log.append(partition: partition(for: group.groupId), records: records, timestamp: clock()) {
        case .success: return nil
        case .failure(let e):
            logger.warning("cannot write tombstones", metadata: ["group": "\(group.groupId)", "error": "\(e.message)"])
            return Self.commitError(e.code)
        }
    }

    // MARK: Offset expiry

    /// Every `offsets.retention.check.interval.ms`: expire offsets (`offsets.retention.minutes`
    /// after an empty group emptied, or after the commit for topics nobody subscribes to) and
    /// forget empty groups left without offsets.
    func scheduleExpiry() {
        schedule(afterMs: config.offsetsRetentionCheckIntervalMs) { c, core, _ in
            c.expireOffsets(&core)
            c.scheduleExpiry()
        }
    }

    func expireOffsets(_ core: inout Core) {
        let now = clock()
        for groupId in Array(core.groups.keys) where core.partitions[partition(for: groupId)] == .loaded {
            withGroup(&core, groupId) { group in
                let expired = group.removeExpiredOffsets(now: now, retentionMs: config.offsetsRetentionMs)
                let dead = group.is(.empty) && !group.hasOffsets
                if dead { group.transition(to: .dead, now: now) }
                if !expired.isEmpty || dead {
                    _ = writeTombstones(group, offsets: expired, groupRecord: dead)
                    logger.info("expired offsets", metadata: ["group": "\(groupId)", "offsets": "\(expired.count)", "groupRemoved": "\(dead)"])
                }
            }
        }
    }

    /// A topic was deleted: its committed offsets go too (Kafka's `handleDeletedPartitions`).
    func topicDeleted(_ topic: String) {
        run { c, core, _ in
            for groupId in Array(core.groups.keys) where core.partitions[c.partition(for: groupId)] == .loaded {
                c.withGroup(&core, groupId) { group in
                    let victims = group.allOffsets.keys.filter { $0.topic == topic }
                    guard !victims.isEmpty else { return }
                    let removed = group.removeOffsets(victims)
                    _ = c.writeTombstones(group, offsets: removed, groupRecord: false)
                }
            }
        }
    }
}
