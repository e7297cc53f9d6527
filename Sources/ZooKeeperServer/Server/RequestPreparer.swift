import ZooKeeperProtocol

/// Who asks, for the checks a write needs.
struct Requester: Sendable {
    var sessionId: Int64
    var ids: [Id]
    /// Passes every ACL check (`superDigest`, or `skipACL`).
    var isSuper = false
}

/// Turns a write request into the transaction that carries it out, with ZooKeeper's checks in
/// ZooKeeper's order (`PrepRequestProcessor`): path, ACL on the parent or node, existence,
/// versions, ephemeral parents. Reads the tree, changes nothing; a refusal throws the error
/// code the client gets.
struct RequestPreparer {
    let tree: DataTree
    let requester: Requester
    let extendedTypes: Bool

    private func allows(_ acl: [ACL], _ permissions: Permissions) -> Bool {
        requester.isSuper || ACLPolicy.allows(acl, permissions, ids: requester.ids)
    }

    private func validate(_ path: String) throws(ErrorCode) {
        if !ZNodePath.isValid(path) { throw .badArguments }
    }

    private func node(_ path: String) throws(ErrorCode) -> DataNode {
        guard let node = tree.node(path) else { throw .noNode }
        return node
    }

    private static func checkVersion(_ current: Int32, expected: Int32) throws(ErrorCode) -> Int32 {
        if expected != -1 && expected != current { throw .badVersion }
        return current &+ 1
    }

    /// create, create2, createContainer, createTTL.
    func create(_ request: CreateRequest, op: OpCode) throws(ErrorCode) -> TxnBody {
        guard let mode = CreateMode(rawValue: request.flags) else { throw .badArguments }
        let ttl = op == .createTTL ? (request.ttl ?? -1) : -1
        if mode.isTTL {
            if !extendedTypes { throw .unimplemented }
            if ttl <= 0 || ttl > NodeKind.maxTTL { throw .badArguments }
        } else if ttl >= 0 {
            throw .badArguments
        }
        guard let (parentPath, _) = ZNodePath.split(request.path) else { throw .badArguments }
        let acl = try ACLPolicy.fixup(request.acl, ids: requester.ids)
        let parent = try node(parentPath)
        if !allows(parent.acl, .create) { throw .noAuth }
        var path = request.path
        if mode.isSequential { path += Self.sequenceSuffix(parent.cversion) }
        try validate(path)
        if tree.node(path) != nil { throw .nodeExists }
        if parent.kind(extendedTypes: extendedTypes).isEphemeral { throw .noChildrenForEphemerals }
        let kind: NodeKind
        if mode.isContainer {
            kind = .container
        } else if mode.isTTL {
            kind = .ttl(milliseconds: ttl)
        } else if mode.isEphemeral {
            kind = .ephemeral(session: requester.sessionId)
        } else {
            kind = .persistent
        }
        return .create(path: path, data: request.data, acl: acl, ephemeralOwner: kind.owner, parentCVersion: parent.cversion &+ 1)
    }

    /// `%010d` of the parent's creation count, as ZooKeeper names sequential nodes.
    static func sequenceSuffix(_ counter: Int32) -> String {
        let digits = String(counter.magnitude)
        let padding = String(repeating: "0", count: max(0, (counter < 0 ? 9 : 10) - digits.count))
        return (counter < 0 ? "-" : "") + padding + digits
    }

    func delete(_ request: DeleteRequest) throws(ErrorCode) -> TxnBody {
        guard let (parentPath, _) = ZNodePath.split(request.path), !DataTree.isSpecial(request.path) else {
            throw .badArguments
        }
        let parent = try node(parentPath)
        if !allows(parent.acl, .delete) { throw .noAuth }
        let target = try node(request.path)
        _ = try Self.checkVersion(target.version, expected: request.version)
        if !target.children.isEmpty { throw .notEmpty }
        return .delete(path: request.path)
    }

    func setData(_ request: SetDataRequest) throws(ErrorCode) -> TxnBody {
        try validate(request.path)
        let target = try node(request.path)
        if !allows(target.acl, .write) { throw .noAuth }
        let version = try Self.checkVersion(target.version, expected: request.version)
        return .setData(path: request.path, data: request.data, version: version)
    }

    func setACL(_ request: SetACLRequest) throws(ErrorCode) -> TxnBody {
        try validate(request.path)
        let acl = try ACLPolicy.fixup(request.acl, ids: requester.ids)
        let target = try node(request.path)
        if !allows(target.acl, .admin) { throw .noAuth }
        let version = try Self.checkVersion(target.aversion, expected: request.version)
        return .setACL(path: request.path, acl: acl, version: version)
    }

    func check(_ request: CheckVersionRequest) throws(ErrorCode) -> TxnBody {
        try validate(request.path)
        let target = try node(request.path)
        if !allows(target.acl, .read) { throw .noAuth }
        return .check(path: request.path, version: try Self.checkVersion(target.version, expected: request.version))
    }

    /// The server's own deletion of an empty container or an expired TTL node
    /// (`deleteContainer`).
    func deleteContainer(_ path: String) throws(ErrorCode) -> TxnBody {
        let target = try node(path)
        if !target.children.isEmpty { throw .notEmpty }
        switch target.kind(extendedTypes: extendedTypes) {
        case .container, .ttl: return .delete(path: path)
        default: throw .badVersion
        }
    }
}
