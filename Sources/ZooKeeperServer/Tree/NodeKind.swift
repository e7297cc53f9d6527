/// What `ephemeralOwner` says about a node (ZooKeeper's `EphemeralType`): 0 for an ordinary
/// persistent node, the owning session for an ephemeral, `Int64.min` for a container, and for a
/// TTL node the top byte 0xFF with the TTL in the low 40 bits. Clients see 0 for containers
/// and TTL nodes (`DataNode.copyStat`); the marker stays inside the server and its files.
enum NodeKind: Equatable, Sendable {
    case persistent
    case ephemeral(session: Int64)
    case container
    case ttl(milliseconds: Int64)

    static let containerOwner = Int64.min
    private static let extendedMask = Int64(bitPattern: 0xFF00_0000_0000_0000)
    private static let reservedMask: Int64 = 0x00FF_FF00_0000_0000
    /// The largest TTL a node may have (2^40 - 1 ms, about 34 years).
    static let maxTTL: Int64 = 0x0000_00FF_FFFF_FFFF

    /// Reads an `ephemeralOwner`. `extendedTypes` is ZooKeeper's `extendedTypesEnabled`:
    /// without it an owner with the top byte set is an ordinary session id.
    init(owner: Int64, extendedTypes: Bool) {
        if extendedTypes && owner & Self.extendedMask == Self.extendedMask && owner & Self.reservedMask == 0 {
            self = .ttl(milliseconds: owner & Self.maxTTL)
        } else if owner == Self.containerOwner {
            self = .container
        } else if owner == 0 {
            self = .persistent
        } else {
            self = .ephemeral(session: owner)
        }
    }

    var owner: Int64 {
        switch self {
        case .persistent: 0
        case .ephemeral(let session): session
        case .container: Self.containerOwner
        case .ttl(let milliseconds): Self.extendedMask | (milliseconds & Self.maxTTL)
        }
    }

    /// What a client sees in `Stat.ephemeralOwner`.
    var clientOwner: Int64 {
        if case .ephemeral(let session) = self { return session }
        return 0
    }

    var isEphemeral: Bool {
        if case .ephemeral = self { return true }
        return false
    }
}
