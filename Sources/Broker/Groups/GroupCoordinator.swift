import Dispatch
import Foundation
import KafkaProtocol
import Logging
import Synchronization

/// The group coordinator: Kafka's classic rebalance protocol (JoinGroup, SyncGroup, Heartbeat,
/// LeaveGroup), committed offsets, and the groups' records in `__consumer_offsets`.
///
/// Lifecycle: `startup` loads the `__consumer_offsets` partitions this broker leads (groups of
/// a partition still loading answer COORDINATOR_LOAD_IN_PROGRESS); the first FindCoordinator
/// creates the topic if it does not exist; `shutdown` answers every parked JoinGroup and
/// SyncGroup with NOT_COORDINATOR so clients move on, and stops the timers.
///
/// Concurrency and ownership: all state lives in `core` and is touched only on `queue`, a
/// serial Dispatch queue (the mutex is there for the compiler and is never contended). Every
/// request becomes one item on the queue, so the requests of one connection are applied in
/// the order they arrived: a commit is in the log and the cache before the OffsetFetch that
/// followed it on the same connection looks. Appends to `__consumer_offsets` happen inside
/// those items (local appends, no waiting on other brokers); the responses are sent after the
/// item has left the state consistent. Delayed answers (parked JoinGroups and SyncGroups) are
/// callbacks kept in the members; timers (session, rebalance, initial delay, pending sync,
/// offset expiry) are `asyncAfter` items on the same queue that check a token before acting,
/// so a superseded timer does nothing. No thread ever waits for a group event.
final class GroupCoordinator: Sendable {
    enum PartitionStatus: Sendable { case loading, loaded }

    struct Core: Sendable {
        var groups: [String: ClassicGroup] = [:]
        /// `__consumer_offsets` partitions this coordinator serves.
        var partitions: [Int32: PartitionStatus] = [:]
        var active = false
    }

    typealias Replies = [@Sendable () -> Void]

    let config: GroupConfig
    let log: any GroupLog
    let logger: Logger
    let clock: @Sendable () -> Int64
    let queue = DispatchQueue(label: "petrel.group-coordinator")
    let loader = DispatchQueue(label: "petrel.group-loader")
    let core: Mutex<Core>
    let tokens = Atomic<UInt64>(0)
    /// Partitions of `__consumer_offsets`: the topic's once it exists, else the configured
    /// count. Outside `core` because group records are placed while `core` is held.
    let partitionCount: Atomic<Int>

    init(config: GroupConfig, log: any GroupLog, logger: Logger = Logger(label: "petrel.groups"),
         clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.config = config
        self.log = log
        self.logger = logger
        self.clock = clock
        self.core = Mutex(Core())
        self.partitionCount = Atomic(config.offsetsTopicPartitions)
    }

    // MARK: Running on the queue

    /// Runs `body` on the coordinator's queue with the state, then sends the replies it queued.
    func run(_ body: @escaping @Sendable (GroupCoordinator, inout Core, inout Replies) -> Void) {
        queue.async { [self] in
            var replies: Replies = []
            core.withLock { body(self, &$0, &replies) }
            for reply in replies { reply() }
        }
    }

    /// Runs `body` on the queue after `ms` milliseconds (a timer).
    func schedule(afterMs ms: Int64, _ body: @escaping @Sendable (GroupCoordinator, inout Core, inout Replies) -> Void) {
        let delay = Int(clamping: max(0, ms))
        queue.asyncAfter(deadline: .now() + .milliseconds(delay)) { [weak self] in
            guard let self else { return }
            var replies: Replies = []
            self.core.withLock { core in
                guard core.active else { return }
                body(self, &core, &replies)
            }
            for reply in replies { reply() }
        }
    }

    /// Waits until everything queued so far has run (tests and shutdown).
    func drain() {
        queue.sync {}
    }

    func nextToken() -> UInt64 { tokens.add(1, ordering: .relaxed).newValue }

    /// Checks a group out of the state, lets `body` change it, and puts it back (or forgets it
    /// once Dead). With `create`, a missing group starts Empty. Returns false if there was none.
    @discardableResult
    func withGroup(_ core: inout Core, _ groupId: String, create: Bool = false, _ body: (inout ClassicGroup) -> Void) -> Bool {
        guard var group = core.groups.removeValue(forKey: groupId) ?? (create ? ClassicGroup(groupId: groupId, now: clock()) : nil) else {
            return false
        }
        body(&group)
        if !group.is(.dead) { core.groups[groupId] = group }
        return true
    }

    // MARK: Which groups are ours

    func partition(for groupId: String) -> Int32 {
        GroupPartitioner.partition(for: groupId, partitionCount: partitionCount.load(ordering: .relaxed))
    }

    /// Kafka's `validateGroupStatus`: a usable group id, an active coordinator, the group's
    /// partition loaded and served here. `allowEmptyId` for the APIs that accept "" (offset
    /// commit and fetch, describe, delete).
    func status(_ groupId: String, _ core: Core, allowEmptyId: Bool = false) -> ErrorCode? {
        if groupId.isEmpty && !allowEmptyId { return .invalidGroupId }
        guard core.active else { return .coordinatorNotAvailable }
        switch core.partitions[partition(for: groupId)] {
        case .loading?: return .coordinatorLoadInProgress
        case nil: return .notCoordinator
        case .loaded?: return nil
        }
    }

    /// FindCoordinator for a group: creates `__consumer_offsets` on first use, then answers
    /// whether this broker coordinates the group (it does while the partition loads, too:
    /// the client learns to wait from the group APIs' COORDINATOR_LOAD_IN_PROGRESS).
    func findCoordinator(_ groupIds: [String], respond: @escaping @Sendable ([ErrorCode]) -> Void) {
        run { c, core, replies in
            let failure = c.ensureTopic(&core, &replies)
            let errors = groupIds.map { groupId in
                failure ?? (core.partitions[c.partition(for: groupId)] != nil ? .noError : .coordinatorNotAvailable)
            }
            replies.append { respond(errors) }
        }
    }

    /// Makes sure the topic exists and every local partition is known; new partitions with
    /// nothing in them need no loading, others are loaded in the background.
    func ensureTopic(_ core: inout Core, _ replies: inout Replies) -> ErrorCode? {
        guard core.active else { return .coordinatorNotAvailable }
        if let layout = log.layout() {
            partitionCount.store(layout.partitionCount, ordering: .relaxed)
            let unknown = layout.local.filter { core.partitions[$0] == nil }
            if !unknown.isEmpty { beginLoading(unknown, &core) }
            return nil
        }
        switch log.createTopic() {
        case .success(let layout):
            partitionCount.store(layout.partitionCount, ordering: .relaxed)
            for p in layout.local where core.partitions[p] == nil { core.partitions[p] = .loaded }
            logger.info("created the group coordinator's topic", metadata: [
                "topic": "__consumer_offsets", "partitions": "\(layout.partitionCount)",
            ])
            return nil
        case .failure(let e):
            logger.warning("cannot create __consumer_offsets: \(e.message)")
            return e.code
        }
    }

    // MARK: Lifecycle

    /// Starts serving: loads the local partitions of `__consumer_offsets` if it exists, and
    /// starts the offset-expiry timer.
    func startup() {
        run { c, core, _ in
            core.active = true
            if let layout = c.log.layout() {
                c.partitionCount.store(layout.partitionCount, ordering: .relaxed)
                c.beginLoading(layout.local, &core)
            }
            c.scheduleExpiry()
        }
    }

    /// Stops serving: parked JoinGroups and SyncGroups hear NOT_COORDINATOR (clients look for
    /// the coordinator again), timers stop acting. Returns once that is done.
    func shutdown() {
        run { c, core, replies in
            core.active = false
            for id in Array(core.groups.keys) {
                c.withGroup(&core, id) { group in
                    for member in group.orderedMembers {
                        group.invokeJoin(member.memberId, .failure(.notCoordinator, memberId: member.memberId), replies: &replies)
                        group.invokeSync(member.memberId, .failure(.notCoordinator), replies: &replies)
                    }
                }
            }
        }
        drain()
    }
}
