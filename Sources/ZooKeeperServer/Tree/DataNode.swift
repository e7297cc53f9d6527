import ZooKeeperProtocol

/// One znode as the server keeps it: data, ACL, ZooKeeper's persisted stat fields and the
/// names of its children.
///
/// `cversion` here counts child *creations*, as ZooKeeper stores it (it names sequential
/// children). Clients see `cversion * 2 - numChildren`, which counts creations and deletions
/// alike (`DataNode.copyStat`): every child created was either deleted or is still there.
struct DataNode: Sendable, Equatable {
    var data: [UInt8]
    var acl: [ACL]
    var czxid: Int64
    var mzxid: Int64
    var ctime: Int64
    var mtime: Int64
    var version: Int32
    var cversion: Int32
    var aversion: Int32
    var ephemeralOwner: Int64
    var pzxid: Int64
    var children: Set<String> = []

    init(
        data: [UInt8], acl: [ACL], zxid: Int64, time: Int64, ephemeralOwner: Int64,
        version: Int32 = 0, cversion: Int32 = 0, aversion: Int32 = 0
    ) {
        self.data = data
        self.acl = acl
        self.czxid = zxid
        self.mzxid = zxid
        self.ctime = time
        self.mtime = time
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.pzxid = zxid
    }

    func kind(extendedTypes: Bool) -> NodeKind {
        NodeKind(owner: ephemeralOwner, extendedTypes: extendedTypes)
    }

    /// The stat a client sees.
    func stat(extendedTypes: Bool) -> Stat {
        Stat(
            czxid: czxid, mzxid: mzxid, ctime: ctime, mtime: mtime, version: version,
            cversion: cversion &* 2 &- Int32(truncatingIfNeeded: children.count), aversion: aversion,
            ephemeralOwner: kind(extendedTypes: extendedTypes).clientOwner,
            dataLength: Int32(truncatingIfNeeded: data.count), numChildren: Int32(truncatingIfNeeded: children.count),
            pzxid: pzxid)
    }
}
