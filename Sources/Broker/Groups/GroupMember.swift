import KafkaProtocol

/// One protocol a member offers in its JoinGroup: for consumers, an assignor name (`range`,
/// `cooperative-sticky`, ...) and the member's subscription encoded for that assignor.
struct MemberProtocol: Sendable, Equatable {
    var name: String
    var metadata: [UInt8]
}

/// What a parked JoinGroup gets back (Kafka's `JoinGroupResult`).
struct JoinResult: Sendable {
    struct Member: Sendable, Equatable {
        var memberId: String
        var groupInstanceId: String?
        var metadata: [UInt8]
    }

    var members: [Member] = []
    var memberId: String
    var generationId: Int32 = -1
    var protocolType: String? = nil
    var protocolName: String? = nil
    var leaderId: String = ""
    var skipAssignment = false
    var error: ErrorCode

    static func failure(_ error: ErrorCode, memberId: String) -> JoinResult {
        JoinResult(memberId: memberId, error: error)
    }
}

/// What a parked SyncGroup gets back (Kafka's `SyncGroupResult`).
struct SyncResult: Sendable {
    var protocolType: String? = nil
    var protocolName: String? = nil
    var assignment: [UInt8] = []
    var error: ErrorCode

    static func failure(_ error: ErrorCode) -> SyncResult { SyncResult(error: error) }
}

typealias JoinCallback = @Sendable (JoinResult) -> Void
typealias SyncCallback = @Sendable (SyncResult) -> Void

/// A member of a classic group (Kafka's `MemberMetadata`): who it is, its timeouts, the
/// protocols it offers, its current assignment, and its parked JoinGroup or SyncGroup.
struct GroupMember: Sendable {
    var memberId: String
    let groupInstanceId: String?
    var clientId: String
    var clientHost: String
    var rebalanceTimeoutMs: Int32
    var sessionTimeoutMs: Int32
    let protocolType: String
    var protocols: [MemberProtocol]
    var assignment: [UInt8] = []
    var awaitingJoin: JoinCallback? = nil
    var awaitingSync: SyncCallback? = nil
    /// Joined but not yet through a completed join phase: it has no member id it could
    /// heartbeat with, so only the long new-member timeout applies to it.
    var isNew = false
    /// Bumped whenever a new session deadline is scheduled: an older timer that fires finds a
    /// different value and does nothing.
    var heartbeatEpoch: UInt64 = 0

    var isStatic: Bool { groupInstanceId != nil }
    var isAwaitingJoin: Bool { awaitingJoin != nil }
    var isAwaitingSync: Bool { awaitingSync != nil }

    /// Kafka's rule: a member parked in a rebalance cannot heartbeat and is not expired for it;
    /// a new member is (it may have gone away while waiting). Everyone else needs the next
    /// heartbeat before the deadline.
    var hasSatisfiedHeartbeat: Bool {
        !isNew && (isAwaitingJoin || isAwaitingSync)
    }

    func metadata(for protocolName: String) -> [UInt8]? {
        protocols.first { $0.name == protocolName }?.metadata
    }

    /// Same protocols with the same metadata in the same order: rejoining with these changes
    /// nothing the leader would assign from.
    func matches(_ other: [MemberProtocol]) -> Bool { protocols == other }

    /// The member's vote: its most preferred protocol among those every member supports.
    func vote(among candidates: Set<String>) -> String? {
        protocols.first { candidates.contains($0.name) }?.name
    }
}
