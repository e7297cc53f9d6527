import KafkaProtocol
import LogStore

/// Loading a `__consumer_offsets` partition when this broker starts to lead it: the groups and
/// offsets it holds are rebuilt from its records (last record per key wins, tombstones
/// delete), off the coordinator's queue; meanwhile its groups answer
/// COORDINATOR_LOAD_IN_PROGRESS.
extension GroupCoordinator {
    func beginLoading(_ partitions: [Int32], _ core: inout Core) {
        for p in partitions { core.partitions[p] = .loading }
        for p in partitions {
            loader.async { [self] in
                let started = clock()
                let loaded = Self.loadPartition(p, from: log, now: started)
                run { c, core, _ in c.finishLoading(p, loaded, started: started, &core) }
            }
        }
    }

    struct LoadedPartition: Sendable {
        var groups: [ClassicGroup]
        var offsets: Int
        var skippedBatches: Int
        var undecodableRecords: Int
    }

    static func loadPartition(_ p: Int32, from log: any GroupLog, now: Int64) -> Result<LoadedPartition, GroupLogError> {
        var offsets: [String: [TopicPartition: CommittedOffset]] = [:]
        var records: [String: GroupMetadataRecord] = [:]
        var undecodable = 0
        let read = log.read(partition: p) { record in
            guard let key = try? GroupRecordKey.decode(record.key) else {
                undecodable += 1
                return
            }
            switch key {
            case .offset(let group, let tp):
                guard let value = record.value else {
                    offsets[group]?.removeValue(forKey: tp)
                    return
                }
                guard let offset = try? OffsetCommitRecord.decode(value) else {
                    undecodable += 1
                    return
                }
                offsets[group, default: [:]][tp] = offset
            case .groupMetadata(let group):
                guard let value = record.value else {
                    records.removeValue(forKey: group)
                    return
                }
                guard let metadata = try? GroupMetadataRecord.decode(value) else {
                    undecodable += 1
                    return
                }
                records[group] = metadata
            case .other:
                break
            }
        }
        let skipped: Int
        switch read {
        case .failure(let e): return .failure(e)
        case .success(let n): skipped = n
        }
        var groups: [ClassicGroup] = []
        for (id, record) in records {
            groups.append(group(id, from: record, offsets: offsets[id] ?? [:], now: now))
        }
        // Offsets without group metadata: a group that only commits offsets.
        for (id, committed) in offsets where records[id] == nil && !committed.isEmpty {
            var group = ClassicGroup(groupId: id, now: now)
            group.loadOffsets(committed)
            groups.append(group)
        }
        let count = offsets.values.reduce(0) { $0 + $1.count }
        return .success(LoadedPartition(groups: groups, offsets: count, skippedBatches: skipped, undecodableRecords: undecodable))
    }

    /// A group as its last metadata record left it: Stable with its members and their
    /// assignments, or Empty.
    static func group(_ id: String, from record: GroupMetadataRecord, offsets: [TopicPartition: CommittedOffset], now: Int64) -> ClassicGroup {
        var group = ClassicGroup(groupId: id, state: record.members.isEmpty ? .empty : .stable, now: now)
        group.generationId = record.generation
        group.protocolType = record.protocolType.isEmpty ? nil : record.protocolType
        group.protocolName = record.protocolName
        group.currentStateTimestamp = record.currentStateTimestamp >= 0 ? record.currentStateTimestamp : nil
        for m in record.members {
            var member = GroupMember(
                memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
                rebalanceTimeoutMs: m.rebalanceTimeoutMs, sessionTimeoutMs: m.sessionTimeoutMs, protocolType: record.protocolType,
                protocols: [MemberProtocol(name: record.protocolName ?? "", metadata: m.subscription)])
            member.assignment = m.assignment
            group.add(member)
        }
        group.leaderId = record.leader.flatMap { group.has($0) ? $0 : nil } ?? group.orderedMembers.first?.memberId
        group.subscribedTopics = group.computeSubscribedTopics()
        group.loadOffsets(offsets)
        return group
    }

    func finishLoading(_ p: Int32, _ loaded: Result<LoadedPartition, GroupLogError>, started: Int64, _ core: inout Core) {
        guard core.partitions[p] == .loading else { return }
        switch loaded {
        case .success(let result):
            for group in result.groups {
                core.groups[group.groupId] = group
                // Members must show up within their session timeout, as after any failover.
                withGroup(&core, group.groupId) { group in
                    for member in group.orderedMembers { scheduleSessionExpiry(&group, member.memberId) }
                }
            }
            logger.info("loaded group coordinator partition", metadata: [
                "partition": "__consumer_offsets-\(p)", "groups": "\(result.groups.count)", "offsets": "\(result.offsets)",
                "ms": "\(clock() - started)",
            ])
            if result.skippedBatches > 0 || result.undecodableRecords > 0 {
                logger.warning("skipped unreadable records while loading", metadata: [
                    "partition": "__consumer_offsets-\(p)", "batches": "\(result.skippedBatches)", "records": "\(result.undecodableRecords)",
                ])
            }
        case .failure(let e):
            // As Kafka does: serve the partition anyway, with what could not be read missing.
            logger.error("cannot load group coordinator partition", metadata: ["partition": "__consumer_offsets-\(p)", "error": "\(e.message)"])
        }
        core.partitions[p] = .loaded
    }
}
