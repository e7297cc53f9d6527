import ZooKeeperProtocol

/// Equal ACL lists share one array, so a million nodes with the open ACL hold one copy of it
/// (ZooKeeper's `ReferenceCountedACLCache` does the same with numbered lists). The tree interns
/// every list it stores, so nodes share whether a request made them here or a committed
/// transaction from the leader, the log or a peer did: each of those decodes its own copy.
/// Bounded: past 4,096 distinct lists it starts over (lists already shared stay shared).
struct ACLCache: Sendable {
    private var lists: [[ACL]: [ACL]] = [:]

    mutating func intern(_ acl: [ACL]) -> [ACL] {
        if let shared = lists[acl] { return shared }
        if lists.count >= 4096 { lists.removeAll(keepingCapacity: true) }
        lists[acl] = acl
        return acl
    }
}
