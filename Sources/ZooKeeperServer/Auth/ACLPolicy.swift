import ZooKeeperProtocol

/// ZooKeeper's ACL rules: which permission each operation needs (checked by the preparer and
/// the read path) and how an ACL a client sends is checked and expanded (`fixupACL`).
enum ACLPolicy {
    /// `ZooKeeperServer.checkACL`: an empty ACL allows everything; otherwise some entry must
    /// grant one of `permissions` to `world:anyone` or to an id the client holds. A super user
    /// (a `superDigest` id) passes every check.
    static func allows(_ acl: [ACL], _ permissions: Permissions, ids: [Id], superId: Id? = nil) -> Bool {
        if acl.isEmpty { return true }
        if let superId, ids.contains(superId) { return true }
        for entry in acl where entry.perms & permissions.rawValue != 0 {
            if entry.id.scheme == "world" && entry.id.id == "anyone" { return true }
            for id in ids where AuthSchemes.matches(clientId: id, aclId: entry.id) { return true }
        }
        return false
    }

    /// `PrepRequestProcessor.fixupACL`: drops duplicates, refuses an empty list or a malformed
    /// id, and replaces each `auth` entry with the client's authenticated ids.
    static func fixup(_ acl: [ACL]?, ids: [Id]) throws(ErrorCode) -> [ACL] {
        var unique: [ACL] = []
        for entry in acl ?? [] where !unique.contains(entry) { unique.append(entry) }
        if unique.isEmpty { throw .invalidACL }
        var result: [ACL] = []
        for entry in unique {
            if entry.id.scheme == "world" && entry.id.id == "anyone" {
                result.append(entry)
            } else if entry.id.scheme == "auth" {
                let authenticated = ids.filter { AuthSchemes.isAuthenticated(scheme: $0.scheme) }
                if authenticated.isEmpty { throw .invalidACL }
                result += authenticated.map { ACL(perms: entry.perms, id: $0) }
            } else if AuthSchemes.isValid(entry.id) {
                result.append(entry)
            } else {
                throw .invalidACL
            }
        }
        return result
    }

    /// getACL without ADMIN: digest ids are shown as `user:x`, as ZooKeeper 3.8 does.
    static func redacted(_ acl: [ACL]) -> [ACL] {
        acl.map { entry in
            guard entry.id.scheme == "digest", let colon = entry.id.id.firstIndex(of: ":") else { return entry }
            return ACL(perms: entry.perms, id: Id(scheme: "digest", id: entry.id.id[..<colon] + ":x"))
        }
    }
}
