import Foundation
import KafkaProtocol
import LogStore
import Wire

/// A committed offset as the coordinator keeps it (Kafka's `OffsetAndMetadata`).
struct CommittedOffset: Sendable, Equatable {
    var offset: Int64
    var leaderEpoch: Int32 = -1
    var metadata: String = ""
    var commitTimestamp: Int64
    /// Only from OffsetCommit v1–4 with an explicit retention time: the offset expires then,
    /// whatever the group's state.
    var expireTimestamp: Int64? = nil
}

/// One classic group's membership and offsets (Kafka's `GroupMetadata`): a value owned by the
/// coordinator, changed only through these methods, which keep the counters (members awaiting
/// join, members supporting each protocol) in step with the members themselves.
///
/// Parked callbacks are never called from here: methods that release them append the call to
/// `replies`, which the coordinator runs once its state is consistent again.
struct ClassicGroup: Sendable {
    let groupId: String
    private(set) var state: GroupState
    /// When the group entered its current state (ms); kept in the group's record so offsets of
    /// an empty group expire `offsets.retention.minutes` after it became empty.
    var currentStateTimestamp: Int64?
    var protocolType: String?
    var protocolName: String?
    var generationId: Int32 = 0
    var leaderId: String?
    private(set) var members: [String: GroupMember] = [:]
    /// Member ids in the order they joined: the leader's successor is the oldest member.
    private(set) var memberOrder: [String] = []
    /// group.instance.id → member id.
    private(set) var staticMembers: [String: String] = [:]
    /// Member ids handed out with MEMBER_ID_REQUIRED whose owners have not joined with them yet.
    private(set) var pendingMembers: Set<String> = []
    /// Members that have their JoinGroup answer but have not sent SyncGroup yet.
    private(set) var pendingSyncMembers: Set<String> = []
    private(set) var numMembersAwaitingJoin = 0
    /// How many members offer each protocol: the candidates are those offered by all.
    private(set) var supportedProtocols: [String: Int] = [:]
    /// Set when a member joins during the first rebalance of an empty group, which then waits
    /// another `group.initial.rebalance.delay.ms`.
    var newMemberAdded = false
    /// Topics the members subscribe to (consumer groups whose subscriptions parse), for
    /// OffsetDelete and offset expiry.
    var subscribedTopics: Set<String>?
    /// The pending end of the join phase (Kafka's DelayedJoin or InitialDelayedJoin).
    var joinTimer: JoinTimer?
    /// The pending deadline for SyncGroups after a join phase (Kafka's DelayedSync).
    var syncTimer: UInt64?
    private(set) var offsets: [TopicPartition: CommittedOffset] = [:]
    /// Commits written to the log but not yet confirmed; expiry leaves them alone.
    private(set) var pendingOffsetCommits: [TopicPartition: CommittedOffset] = [:]

    struct JoinTimer: Sendable {
        /// The initial delay of an empty group's first rebalance: `configuredDelayMs` more each
        /// time members keep arriving, while `remainingMs` of the rebalance timeout are left.
        struct Initial: Sendable, Equatable {
            var configuredDelayMs: Int64
            var remainingMs: Int64
        }

        var token: UInt64
        var delayMs: Int64
        var initial: Initial?
    }

    init(groupId: String, state: GroupState = .empty, now: Int64) {
        self.groupId = groupId
        self.state = state
        self.currentStateTimestamp = now
    }

    // MARK: State

    func `is`(_ s: GroupState) -> Bool { state == s }

    var canRebalance: Bool { GroupState.preparingRebalance.validPrevious.contains(state) }

    /// Moves to `target` if Kafka allows it from the current state; returns false (and stays)
    /// otherwise, so a coordinator bug shows up as a refused step, not a crash.
    @discardableResult
    mutating func transition(to target: GroupState, now: Int64) -> Bool {
        guard target.validPrevious.contains(state) else { return false }
        state = target
        currentStateTimestamp = now
        return true
    }

    // MARK: Members

    var size: Int { members.count }
    var isEmptyOfMembers: Bool { members.isEmpty }
    func has(_ memberId: String) -> Bool { members[memberId] != nil }
    func member(_ memberId: String) -> GroupMember? { members[memberId] }
    func isLeader(_ memberId: String) -> Bool { leaderId == memberId }
    func isPendingMember(_ memberId: String) -> Bool { pendingMembers.contains(memberId) }
    func staticMemberId(_ instanceId: String) -> String? { staticMembers[instanceId] }
    var orderedMembers: [GroupMember] { memberOrder.compactMap { members[$0] } }

    /// The largest rebalance timeout of the members: how long a rebalance waits for rejoins.
    var rebalanceTimeoutMs: Int32 { members.values.map(\.rebalanceTimeoutMs).max() ?? 0 }

    var hasAllMembersJoined: Bool { members.count == numMembersAwaitingJoin && pendingMembers.isEmpty }
    var hasReceivedSyncFromAllMembers: Bool { pendingSyncMembers.isEmpty }
    var notYetRejoinedMembers: [GroupMember] { orderedMembers.filter { !$0.isAwaitingJoin } }

    /// Kafka's rule for a joining member's protocols: an empty group takes any non-empty type
    /// with at least one protocol; otherwise the type must match and at least one of the
    /// member's protocols must be offered by every current member.
    func supportsProtocols(type: String, names: Set<String>) -> Bool {
        if state == .empty { return !type.isEmpty && !names.isEmpty }
        return protocolType == type && names.contains { (supportedProtocols[$0] ?? 0) == members.count }
    }

    /// Generates the id of a new member: `<client.id or group.instance.id>-<uuid>`.
    static func newMemberId(clientId: String, groupInstanceId: String?) -> String {
        (groupInstanceId ?? clientId) + "-" + UUID().uuidString.lowercased()
    }

    mutating func add(_ member: GroupMember) {
        if let instance = member.groupInstanceId { staticMembers[instance] = member.memberId }
        if members.isEmpty { protocolType = member.protocolType }
        if leaderId == nil { leaderId = member.memberId }
        if members[member.memberId] == nil { memberOrder.append(member.memberId) }
        members[member.memberId] = member
        for p in member.protocols { supportedProtocols[p.name, default: 0] += 1 }
        if member.isAwaitingJoin { numMembersAwaitingJoin += 1 }
        pendingMembers.remove(member.memberId)
    }

    /// Removes a member (or a pending member id), choosing a new leader if it led. A parked
    /// call of the member is dropped: callers answer it first when it should hear back.
    mutating func remove(_ memberId: String) {
        if let member = members.removeValue(forKey: memberId) {
            memberOrder.removeAll { $0 == memberId }
            for p in member.protocols { decrementSupport(p.name) }
            if member.isAwaitingJoin { numMembersAwaitingJoin -= 1 }
            if let instance = member.groupInstanceId, staticMembers[instance] == memberId {
                staticMembers.removeValue(forKey: instance)
            }
        }
        if leaderId == memberId { leaderId = memberOrder.first }
        pendingMembers.remove(memberId)
        pendingSyncMembers.remove(memberId)
    }

    private mutating func decrementSupport(_ name: String) {
        let n = (supportedProtocols[name] ?? 0) - 1
        supportedProtocols[name] = n > 0 ? n : nil
    }

    mutating func addPendingMember(_ memberId: String) { pendingMembers.insert(memberId) }
    mutating func addPendingSyncMember(_ memberId: String) { pendingSyncMembers.insert(memberId) }
    mutating func removePendingSyncMember(_ memberId: String) { pendingSyncMembers.remove(memberId) }
    mutating func clearPendingSyncMembers() { pendingSyncMembers.removeAll() }

    /// A rejoining member's new protocols and timeouts, and its parked JoinGroup (nil: none).
    /// A JoinGroup already parked for it is answered with REBALANCE_IN_PROGRESS: the network
    /// layer answers requests in order, so a dropped one would stall its connection.
    mutating func updateMember(
        _ memberId: String, protocols: [MemberProtocol], rebalanceTimeoutMs: Int32, sessionTimeoutMs: Int32,
        callback: JoinCallback?, replies: inout [@Sendable () -> Void]
    ) {
        guard var member = members[memberId] else { return }
        for p in member.protocols { decrementSupport(p.name) }
        member.protocols = protocols
        for p in protocols { supportedProtocols[p.name, default: 0] += 1 }
        member.rebalanceTimeoutMs = rebalanceTimeoutMs
        member.sessionTimeoutMs = sessionTimeoutMs
        if let old = member.awaitingJoin, callback != nil {
            let id = member.memberId
            replies.append { old(.failure(.rebalanceInProgress, memberId: id)) }
        }
        if callback != nil && !member.isAwaitingJoin {
            numMembersAwaitingJoin += 1
        } else if callback == nil && member.isAwaitingJoin {
            numMembersAwaitingJoin -= 1
        }
        member.awaitingJoin = callback
        members[memberId] = member
    }

    mutating func updateMember(_ memberId: String, _ change: (inout GroupMember) -> Void) {
        guard var member = members[memberId] else { return }
        change(&member)
        members[memberId] = member
    }

    /// Answers a member's parked JoinGroup, if it has one.
    @discardableResult
    mutating func invokeJoin(_ memberId: String, _ result: JoinResult, replies: inout [@Sendable () -> Void]) -> Bool {
        guard var member = members[memberId], let callback = member.awaitingJoin else { return false }
        member.awaitingJoin = nil
        numMembersAwaitingJoin -= 1
        members[memberId] = member
        replies.append { callback(result) }
        return true
    }

    /// Answers a member's parked SyncGroup, if it has one.
    @discardableResult
    mutating func invokeSync(_ memberId: String, _ result: SyncResult, replies: inout [@Sendable () -> Void]) -> Bool {
        guard var member = members[memberId], let callback = member.awaitingSync else { return false }
        member.awaitingSync = nil
        members[memberId] = member
        replies.append { callback(result) }
        return true
    }

    /// Parks a member's SyncGroup; one already parked is answered REBALANCE_IN_PROGRESS.
    mutating func parkSync(_ memberId: String, _ callback: @escaping SyncCallback, replies: inout [@Sendable () -> Void]) {
        guard var member = members[memberId] else { return }
        if let old = member.awaitingSync { replies.append { old(.failure(.rebalanceInProgress)) } }
        member.awaitingSync = callback
        members[memberId] = member
    }

    /// A static member restarting with a new member id takes over the old one's place: its
    /// assignment, its leadership. The old id's parked calls hear FENCED_INSTANCE_ID.
    mutating func replaceStaticMember(
        instanceId: String, oldMemberId: String, newMemberId: String, replies: inout [@Sendable () -> Void]
    ) -> Bool {
        guard members[oldMemberId] != nil else { return false }
        invokeJoin(oldMemberId, .failure(.fencedInstanceId, memberId: oldMemberId), replies: &replies)
        invokeSync(oldMemberId, .failure(.fencedInstanceId), replies: &replies)
        guard var member = members.removeValue(forKey: oldMemberId) else { return false }
        member.memberId = newMemberId
        members[newMemberId] = member
        if let i = memberOrder.firstIndex(of: oldMemberId) { memberOrder[i] = newMemberId }
        if leaderId == oldMemberId { leaderId = newMemberId }
        staticMembers[instanceId] = newMemberId
        pendingSyncMembers.remove(oldMemberId)
        return true
    }

    /// Makes sure the leader is a member that rejoined; false if nobody has rejoined.
    mutating func maybeElectNewJoinedLeader() -> Bool {
        guard let current = leaderId else { return false }
        if members[current]?.isAwaitingJoin == true { return true }
        if let joined = orderedMembers.first(where: { $0.isAwaitingJoin }) {
            leaderId = joined.memberId
            return true
        }
        return false
    }

    // MARK: Protocol selection

    /// Kafka's choice of protocol: among the protocols every member offers, each member votes
    /// for the first in its own list; the most votes wins (ties go to the leader's preference,
    /// then to the oldest member's).
    func selectProtocol() -> String? {
        let candidates = Set(supportedProtocols.filter { $0.value == members.count }.keys)
        guard !candidates.isEmpty else { return nil }
        var votes: [String: Int] = [:]
        for member in members.values {
            if let v = member.vote(among: candidates) { votes[v, default: 0] += 1 }
        }
        guard let most = votes.values.max() else { return nil }
        let tied = Set(votes.filter { $0.value == most }.keys)
        let preference = (leaderId.flatMap { members[$0] }.map { [$0] } ?? []) + orderedMembers
        for member in preference {
            if let name = member.protocols.first(where: { tied.contains($0.name) })?.name { return name }
        }
        return tied.sorted().first
    }

    /// Starts the next generation once the join phase is over: with members, choose the
    /// protocol and wait for the leader's assignment; without, the group is empty.
    mutating func initNextGeneration(now: Int64) {
        generationId &+= 1
        pendingSyncMembers.removeAll()
        if !members.isEmpty {
            protocolName = selectProtocol()
            subscribedTopics = computeSubscribedTopics()
            transition(to: .completingRebalance, now: now)
        } else {
            protocolName = nil
            subscribedTopics = computeSubscribedTopics()
            transition(to: .empty, now: now)
        }
    }

    /// Every member's metadata for the chosen protocol, for the leader's JoinGroup answer.
    var currentMemberMetadata: [JoinResult.Member] {
        guard let name = protocolName else { return [] }
        return orderedMembers.map {
            JoinResult.Member(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata(for: name) ?? [])
        }
    }

    /// The topics of a consumer group's subscriptions; nil when unknown (another protocol type
    /// or a subscription that does not parse).
    func computeSubscribedTopics() -> Set<String>? {
        guard protocolType == "consumer", let name = protocolName else {
            return members.isEmpty && protocolType == "consumer" ? [] : nil
        }
        var topics = Set<String>()
        for member in members.values {
            guard let bytes = member.metadata(for: name), let subscription = ConsumerSubscriptionReader.parse(bytes) else {
                return nil
            }
            topics.formUnion(subscription.topics)
        }
        return topics
    }

    func isSubscribed(to topic: String) -> Bool {
        // Unknown subscriptions count as subscribed: never delete what may be in use.
        subscribedTopics?.contains(topic) ?? true
    }

    // MARK: Offsets

    func offset(_ tp: TopicPartition) -> CommittedOffset? { offsets[tp] }
    var allOffsets: [TopicPartition: CommittedOffset] { offsets }
    var hasOffsets: Bool { !offsets.isEmpty || !pendingOffsetCommits.isEmpty }
    func hasPendingCommit(_ tp: TopicPartition) -> Bool { pendingOffsetCommits[tp] != nil }

    mutating func loadOffsets(_ loaded: [TopicPartition: CommittedOffset]) {
        offsets.merge(loaded) { _, new in new }
    }

    mutating func prepareOffsetCommit(_ commits: [TopicPartition: CommittedOffset]) {
        pendingOffsetCommits.merge(commits) { _, new in new }
    }

    /// A commit is in the log: it becomes the committed offset unless a deletion overtook it.
    mutating func completeOffsetCommit(_ tp: TopicPartition, _ offset: CommittedOffset) {
        if pendingOffsetCommits[tp] != nil { offsets[tp] = offset }
        if pendingOffsetCommits[tp] == offset { pendingOffsetCommits.removeValue(forKey: tp) }
    }

    mutating func failOffsetCommit(_ tp: TopicPartition, _ offset: CommittedOffset) {
        if pendingOffsetCommits[tp] == offset { pendingOffsetCommits.removeValue(forKey: tp) }
    }

    mutating func removeOffsets(_ partitions: [TopicPartition]) -> [TopicPartition] {
        partitions.compactMap { tp in
            pendingOffsetCommits.removeValue(forKey: tp)
            return offsets.removeValue(forKey: tp) != nil ? tp : nil
        }
    }

    mutating func removeAllOffsets() -> [TopicPartition] {
        removeOffsets(Array(offsets.keys) + Array(pendingOffsetCommits.keys))
    }

    /// Kafka's offset expiry (KIP-211): an empty group's offsets expire `retentionMs` after the
    /// group became empty; a stable consumer group's offsets of topics nobody subscribes to
    /// expire `retentionMs` after their commit; a group that never had members (offsets only)
    /// expires each offset `retentionMs` after its commit. An explicit expire timestamp
    /// (OffsetCommit v1–4) wins. Pending commits are never expired.
    mutating func removeExpiredOffsets(now: Int64, retentionMs: Int64) -> [TopicPartition] {
        func expired(base: (CommittedOffset) -> Int64, keep: Set<String> = []) -> [TopicPartition] {
            offsets.compactMap { tp, o in
                guard !keep.contains(tp.topic), pendingOffsetCommits[tp] == nil else { return nil }
                if let expire = o.expireTimestamp { return now >= expire ? tp : nil }
                return now - base(o) >= retentionMs ? tp : nil
            }
        }
        let victims: [TopicPartition]
        if protocolType != nil && state == .empty {
            victims = expired(base: { self.currentStateTimestamp ?? $0.commitTimestamp })
        } else if protocolType == "consumer", let topics = subscribedTopics, state == .stable {
            victims = expired(base: \.commitTimestamp, keep: topics)
        } else if protocolType == nil {
            victims = expired(base: \.commitTimestamp)
        } else {
            victims = []
        }
        for tp in victims { offsets.removeValue(forKey: tp) }
        return victims
    }
}

/// Reads the topics out of a consumer's JoinGroup metadata (an int16 version, then
/// `ConsumerProtocolSubscription` in the classic encoding). Versions newer than ours are read
/// as our newest: later versions only add fields at the end.
enum ConsumerSubscriptionReader {
    static func parse(_ bytes: [UInt8]) -> ConsumerProtocolSubscription? {
        var reader = ByteReader(bytes)
        guard let version = try? reader.readInt16(), version >= 0 else { return nil }
        let v = min(version, ConsumerProtocolSubscription.versions.upperBound)
        return try? ConsumerProtocolSubscription(from: &reader, version: v)
    }
}
