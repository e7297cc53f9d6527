import Wire

/// `org.apache.zookeeper.data.Id`: who, in an authentication scheme (`world:anyone`,
/// `digest:user:hash`, `ip:10.0.0.0/8`, ...).
public struct Id: JuteRecord, Hashable {
    public var scheme: String
    public var id: String

    public init(scheme: String, id: String) {
        self.scheme = scheme
        self.id = id
    }

    public static let anyone = Id(scheme: "world", id: "anyone")

    /// A null id reads as "": kazoo writes every empty string as null (length -1), so the
    /// `auth` scheme's empty id arrives that way, and ZooKeeper's Java jute accepts it.
    public init(from reader: inout ByteReader) throws(WireError) {
        scheme = try reader.readJuteString(field: "Id.scheme")
        id = try reader.readJuteNullableString() ?? ""
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(scheme)
        writer.writeJuteString(id)
    }
}

/// `org.apache.zookeeper.data.ACL`: permission bits granted to an id.
public struct ACL: JuteRecord, Hashable {
    public var perms: Int32
    public var id: Id

    public init(perms: Int32, id: Id) {
        self.perms = perms
        self.id = id
    }

    public init(_ permissions: Permissions, _ id: Id) {
        self.init(perms: permissions.rawValue, id: id)
    }

    /// `ZooDefs.Ids.OPEN_ACL_UNSAFE`.
    public static let openUnsafe = [ACL(.all, .anyone)]
    /// `ZooDefs.Ids.READ_ACL_UNSAFE`.
    public static let readUnsafe = [ACL(.read, .anyone)]

    public init(from reader: inout ByteReader) throws(WireError) {
        perms = try reader.readInt32()
        id = try Id(from: &reader)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInt32(perms)
        id.encode(into: &writer)
    }
}

extension ByteReader {
    /// `vector<ACL>`; null reads as nil (the server refuses it as an invalid ACL).
    public mutating func readACLs() throws(WireError) -> [ACL]? {
        try readJuteVector { reader throws(WireError) in try ACL(from: &reader) }
    }
}

extension ByteWriter {
    public mutating func writeACLs(_ acls: [ACL]) {
        writeJuteVector(acls) { $1.encode(into: &$0) }
    }
}

/// `org.apache.zookeeper.data.Stat`: what a client learns about a znode.
public struct Stat: JuteRecord, Hashable {
    /// zxid of the transaction that created the node.
    public var czxid: Int64 = 0
    /// zxid of the last data change.
    public var mzxid: Int64 = 0
    /// Creation time, ms since the epoch.
    public var ctime: Int64 = 0
    /// Last data change, ms since the epoch.
    public var mtime: Int64 = 0
    /// Data version (setData count).
    public var version: Int32 = 0
    /// Child version (child creates).
    public var cversion: Int32 = 0
    /// ACL version (setACL count).
    public var aversion: Int32 = 0
    /// Owning session of an ephemeral node, or a marker for container and TTL nodes, or 0.
    public var ephemeralOwner: Int64 = 0
    public var dataLength: Int32 = 0
    public var numChildren: Int32 = 0
    /// zxid of the last change to the children.
    public var pzxid: Int64 = 0

    public init() {}

    public init(
        czxid: Int64, mzxid: Int64, ctime: Int64, mtime: Int64, version: Int32, cversion: Int32, aversion: Int32,
        ephemeralOwner: Int64, dataLength: Int32, numChildren: Int32, pzxid: Int64
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
        self.pzxid = pzxid
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        czxid = try reader.readInt64()
        mzxid = try reader.readInt64()
        ctime = try reader.readInt64()
        mtime = try reader.readInt64()
        version = try reader.readInt32()
        cversion = try reader.readInt32()
        aversion = try reader.readInt32()
        ephemeralOwner = try reader.readInt64()
        dataLength = try reader.readInt32()
        numChildren = try reader.readInt32()
        pzxid = try reader.readInt64()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInt64(czxid)
        writer.writeInt64(mzxid)
        writer.writeInt64(ctime)
        writer.writeInt64(mtime)
        writer.writeInt32(version)
        writer.writeInt32(cversion)
        writer.writeInt32(aversion)
        writer.writeInt64(ephemeralOwner)
        writer.writeInt32(dataLength)
        writer.writeInt32(numChildren)
        writer.writeInt64(pzxid)
    }

    /// 68 bytes on the wire.
    public static let encodedSize = 68
}

/// `org.apache.zookeeper.data.ClientInfo` (whoAmI).
public struct ClientInfo: JuteRecord, Hashable {
    public var authScheme: String
    public var user: String

    public init(authScheme: String, user: String) {
        self.authScheme = authScheme
        self.user = user
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        authScheme = try reader.readJuteString(field: "ClientInfo.authScheme")
        user = try reader.readJuteString(field: "ClientInfo.user")
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(authScheme)
        writer.writeJuteString(user)
    }
}
