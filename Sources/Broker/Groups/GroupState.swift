/// The states of a classic group, with Kafka's names (DescribeGroups and ListGroups show them,
/// and ListGroups v4 filters on them case-insensitively).
///
/// - Empty: no members; the group lingers for its committed offsets (also the state of groups
///   that only commit offsets). A JoinGroup moves it to PreparingRebalance.
/// - PreparingRebalance: JoinGroups are parked until every known member has rejoined or the
///   rebalance timeout passes; heartbeats answer REBALANCE_IN_PROGRESS.
/// - CompletingRebalance: the JoinGroup responses went out; waiting for the leader's SyncGroup
///   with the assignment. Followers' SyncGroups are parked.
/// - Stable: assignments delivered; heartbeats keep members alive.
/// - Dead: the group is gone (deleted, expired, or its partition unloaded).
enum GroupState: String, Sendable, CaseIterable {
    case empty = "Empty"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"

    /// The states each state may be entered from (Kafka's `validPreviousStates`): a transition
    /// from anywhere else is a coordinator bug, which we refuse rather than trap on.
    var validPrevious: Set<GroupState> {
        switch self {
        case .dead: return [.stable, .preparingRebalance, .completingRebalance, .empty, .dead]
        case .completingRebalance: return [.preparingRebalance]
        case .stable: return [.completingRebalance]
        case .preparingRebalance: return [.stable, .completingRebalance, .empty]
        case .empty: return [.preparingRebalance]
        }
    }

    /// ListGroups' state filter compares lower-cased names.
    static func matching(filter: String) -> GroupState? {
        allCases.first { $0.rawValue.lowercased() == filter.lowercased() }
    }
}
