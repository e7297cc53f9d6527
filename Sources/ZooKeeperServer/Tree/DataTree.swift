import ZooKeeperProtocol

/// The znodes: a map from path to `DataNode` (`NodeTable`), with indexes of ephemeral nodes by session and
/// of container and TTL nodes.
///
/// A value type: copying it is O(1) (copy-on-write), which is how a snapshot gets a consistent
/// image while the tree moves on. The mutating operations are the transaction semantics of
/// ZooKeeper's `DataTree` (create, delete, setData, setACL); they trust the caller for
/// permissions and versions (`RequestPreparer` checked them) but not for existence, so
/// replaying a log can never corrupt the tree. Each reports the `TreeEvent`s watches need.
///
/// **Undo.** Between `beginJournal()` and `endJournal(keep:)` the first image of every node
/// touched is remembered; `endJournal(keep: false)` puts them all back. A failed multi is
/// rolled back this way, and nothing outside the tree ever saw its partial state. Journals nest
/// (a multi applied during a trial): a kept inner journal hands its images to the enclosing one,
/// so undoing the outer still restores everything. `takeJournal` hands the images out instead,
/// for `restore` later: a leader keeps one per transaction not yet committed.
///
/// An image leaves out the children of a node that stays (a parent gaining a child): holding
/// that set would make the next change to it copy the whole set, for every child created while
/// a journal is open. Membership is rebuilt on restore from the children's own images instead:
/// every child created or deleted since the journal began has one (nil: it did not exist).
struct DataTree: Sendable {
    /// ZooKeeper's `extendedTypesEnabled`: TTL nodes exist, and owners with the top byte set
    /// read as TTLs.
    let extendedTypes: Bool
    private(set) var nodes = NodeTable()
    private(set) var ephemerals: [Int64: Set<String>] = [:]
    private(set) var containers: Set<String> = []
    private(set) var ttls: Set<String> = []
    /// Bytes of paths and data, as ZooKeeper's `approximateDataSize`.
    private(set) var approximateDataSize = 0
    /// Open journals, innermost last: each maps a path to its image before that journal began.
    private var journals: [[String: DataNode?]] = []
    /// Every node's ACL list comes from here (`ACLCache`).
    private var aclCache = ACLCache()

    static let zookeeperPath = "/zookeeper"
    static let quotaPath = "/zookeeper/quota"
    static let configPath = "/zookeeper/config"

    /// A tree with ZooKeeper's built-in nodes: "/", "/zookeeper", "/zookeeper/quota" and the
    /// read-only "/zookeeper/config", all with zxid 0 and time 0.
    init(extendedTypes: Bool) {
        self.extendedTypes = extendedTypes
        var root = DataNode(data: [], acl: ACL.openUnsafe, zxid: 0, time: 0, ephemeralOwner: 0)
        root.children = ["zookeeper"]
        var zookeeper = DataNode(data: [], acl: ACL.openUnsafe, zxid: 0, time: 0, ephemeralOwner: 0)
        zookeeper.children = ["quota", "config"]
        put(ZNodePath.root, root)
        put(Self.zookeeperPath, zookeeper)
        put(Self.quotaPath, DataNode(data: [], acl: ACL.openUnsafe, zxid: 0, time: 0, ephemeralOwner: 0))
        put(Self.configPath, DataNode(data: [], acl: ACL.readUnsafe, zxid: 0, time: 0, ephemeralOwner: 0, aversion: -1))
    }

    /// A tree rebuilt from a snapshot's nodes, whose children sets are filled in (indexes and
    /// size are derived).
    init(extendedTypes: Bool, nodes: NodeTable) {
        self.extendedTypes = extendedTypes
        self.nodes = nodes
        for (path, node) in nodes {
            approximateDataSize += path.utf8.count + node.data.count
            index(path, owner: node.ephemeralOwner)
        }
    }

    /// Paths that are part of the server: never created, deleted or changed by clients.
    static func isSpecial(_ path: String) -> Bool {
        path == ZNodePath.root || path == zookeeperPath || path == quotaPath || path == configPath
    }

    // MARK: Reading

    func node(_ path: String) -> DataNode? { nodes[path] }

    func stat(_ path: String) -> Stat? { nodes[path]?.stat(extendedTypes: extendedTypes) }

    /// Znodes as ZooKeeper counts them (its map holds the root twice, as "" and "/").
    var nodeCount: Int { nodes.count + 1 }

    /// Every node below `path` (not `path` itself).
    func descendantCount(of path: String) -> Int {
        guard let node = nodes[path] else { return 0 }
        var count = 0
        var stack: [(String, DataNode)] = [(path, node)]
        while let (parentPath, parent) = stack.popLast() {
            for name in parent.children {
                let childPath = ZNodePath.join(parentPath, name)
                count += 1
                if let child = nodes[childPath], !child.children.isEmpty { stack.append((childPath, child)) }
            }
        }
        return count
    }

    var ephemeralCount: Int { ephemerals.values.reduce(0) { $0 + $1.count } }

    // MARK: Transactions

    /// Creates a node. `parentCVersion` is the parent's new creation count; a smaller one (a
    /// replay) leaves the parent's cversion and pzxid alone, as ZooKeeper does.
    mutating func create(
        path: String, data: [UInt8], acl: [ACL], ephemeralOwner: Int64, parentCVersion: Int32, zxid: Int64, time: Int64
    ) throws(ErrorCode) -> (Stat, [TreeEvent]) {
        guard let (parentPath, name) = ZNodePath.split(path), !name.isEmpty else { throw .badArguments }
        guard nodes.contains(parentPath) else { throw .noNode }
        if nodes.contains(path) { throw .nodeExists }
        modify(parentPath) { parent in
            if parentCVersion > parent.cversion {
                parent.cversion = parentCVersion
                parent.pzxid = zxid
            }
            parent.children.insert(name)
        }
        let node = DataNode(data: data, acl: aclCache.intern(acl), zxid: zxid, time: time, ephemeralOwner: ephemeralOwner)
        put(path, node)
        return (node.stat(extendedTypes: extendedTypes),
                [TreeEvent(type: .nodeCreated, path: path), TreeEvent(type: .nodeChildrenChanged, path: parentPath)])
    }

    mutating func delete(path: String, zxid: Int64) throws(ErrorCode) -> [TreeEvent] {
        guard let (parentPath, name) = ZNodePath.split(path), !name.isEmpty, !Self.isSpecial(path) else {
            throw .badArguments
        }
        guard nodes.contains(parentPath), nodes.contains(path) else { throw .noNode }
        modify(parentPath) { parent in
            parent.children.remove(name)
            if zxid > parent.pzxid { parent.pzxid = zxid }
        }
        put(path, nil)
        return [TreeEvent(type: .nodeDeleted, path: path), TreeEvent(type: .nodeChildrenChanged, path: parentPath)]
    }

    mutating func setData(path: String, data: [UInt8], version: Int32, zxid: Int64, time: Int64) throws(ErrorCode) -> (Stat, [TreeEvent]) {
        guard var node = nodes[path] else { throw .noNode }
        node.data = data
        node.version = version
        node.mzxid = zxid
        node.mtime = time
        put(path, node)
        return (node.stat(extendedTypes: extendedTypes), [TreeEvent(type: .nodeDataChanged, path: path)])
    }

    mutating func setACL(path: String, acl: [ACL], version: Int32) throws(ErrorCode) -> Stat {
        guard var node = nodes[path] else { throw .noNode }
        node.acl = aclCache.intern(acl)
        node.aversion = version
        put(path, node)
        return node.stat(extendedTypes: extendedTypes)
    }

    // MARK: Undo

    mutating func beginJournal() {
        journals.append([:])
    }

    /// Closes the innermost journal; unless `keep`, restores every node touched since its
    /// `beginJournal`.
    mutating func endJournal(keep: Bool) {
        guard let saved = journals.popLast() else { return }
        if keep {
            if let outer = journals.indices.last {
                for (path, image) in saved where journals[outer].index(forKey: path) == nil {
                    journals[outer][path] = image
                }
            }
            return
        }
        restore(saved)
    }

    /// Images of the nodes touched since a `beginJournal`, taken from `takeJournal`.
    struct Journal: Sendable {
        fileprivate var images: [String: DataNode?]
    }

    /// Closes the innermost journal without restoring anything, and returns what undoes
    /// everything done since its `beginJournal` (`restore`), once whatever was done after it
    /// has been undone.
    mutating func takeJournal() -> Journal {
        Journal(images: journals.popLast() ?? [:])
    }

    /// Undoes what a taken journal covers.
    mutating func restore(_ journal: Journal) {
        restore(journal.images)
    }

    /// Puts every node back as it was when the journal began. The enclosing journals already
    /// hold older images of anything they care about, so they record nothing here.
    private mutating func restore(_ images: [String: DataNode?]) {
        let enclosing = journals
        journals = []
        // The nodes' own fields (a node that stayed keeps its children set)...
        for (path, image) in images {
            guard var node = image else {
                put(path, nil)
                continue
            }
            if let live = nodes[path] { node.children = live.children }
            put(path, node)
        }
        // ...then membership: each node created or deleted since leaves or rejoins its parent.
        for (path, image) in images {
            guard let (parentPath, name) = ZNodePath.split(path), !name.isEmpty else { continue }
            modify(parentPath) { parent in
                if image == nil { parent.children.remove(name) } else { parent.children.insert(name) }
            }
        }
        journals = enclosing
    }

    /// Journals the first image of `path` since the innermost journal began; `keepChildren`
    /// only for a node being deleted (see the type's comment).
    private mutating func remember(_ path: String, _ image: DataNode?, keepChildren: Bool = false) {
        guard let innermost = journals.indices.last, journals[innermost].index(forKey: path) == nil else { return }
        var image = image
        if !keepChildren { image?.children = [] }
        journals[innermost][path] = .some(image)
    }

    // MARK: The only places nodes change

    /// Changes a node in place (no copy of its children set), for changes that keep its data
    /// size and owner: the parent's side of a create or delete.
    private mutating func modify(_ path: String, _ body: (inout DataNode) -> Void) {
        guard nodes.contains(path) else { return }
        // The image is handed over, not held here: holding a copy while `body` runs would make
        // the node's children set shared, and the insertion would copy all of it.
        remember(path, nodes[path])
        nodes.modify(path, body)
    }

    /// Sets or removes a node, keeping the indexes and the size in step, and journals the
    /// first image of the node when a journal is open.
    private mutating func put(_ path: String, _ node: DataNode?) {
        let old = nodes[path]
        remember(path, old, keepChildren: node == nil)
        let reindex = old?.ephemeralOwner != node?.ephemeralOwner || (old == nil) != (node == nil)
        if let old {
            approximateDataSize -= path.utf8.count + old.data.count
            if reindex { unindex(path, owner: old.ephemeralOwner) }
        }
        if let node {
            approximateDataSize += path.utf8.count + node.data.count
            if reindex { index(path, owner: node.ephemeralOwner) }
        }
        nodes.set(path, node)
    }

    private mutating func index(_ path: String, owner: Int64) {
        switch NodeKind(owner: owner, extendedTypes: extendedTypes) {
        case .persistent: break
        case .ephemeral(let session): ephemerals[session, default: []].insert(path)
        case .container: containers.insert(path)
        case .ttl: ttls.insert(path)
        }
    }

    private mutating func unindex(_ path: String, owner: Int64) {
        switch NodeKind(owner: owner, extendedTypes: extendedTypes) {
        case .persistent: break
        case .ephemeral(let session):
            ephemerals[session]?.remove(path)
            if ephemerals[session]?.isEmpty == true { ephemerals[session] = nil }
        case .container: containers.remove(path)
        case .ttl: ttls.remove(path)
        }
    }
}
