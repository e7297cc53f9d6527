import Wire

// The request records of single-node operations. Several of jute's records share a layout;
// each layout is one type here, with jute's names as aliases.

/// `{ustring path}`: sync, getACL, getAllChildrenNumber, getEphemerals (as `prefixPath`), and
/// the sync response.
public struct PathRecord: JuteRecord, Hashable {
    public var path: String

    public init(path: String) { self.path = path }

    public init(from reader: inout ByteReader) throws(WireError) {
        path = try reader.readJuteString(field: "path")
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(path)
    }
}

public typealias SyncRequest = PathRecord
public typealias SyncResponse = PathRecord
public typealias GetACLRequest = PathRecord
public typealias GetAllChildrenNumberRequest = PathRecord
public typealias GetEphemeralsRequest = PathRecord

/// `{ustring path; boolean watch}`: exists, getData, getChildren, getChildren2.
public struct PathWatchRequest: JuteRecord, Hashable {
    public var path: String
    public var watch: Bool

    public init(path: String, watch: Bool) {
        self.path = path
        self.watch = watch
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        path = try reader.readJuteString(field: "path")
        watch = try reader.readJuteBool()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(path)
        writer.writeJuteBool(watch)
    }
}

public typealias ExistsRequest = PathWatchRequest
public typealias GetDataRequest = PathWatchRequest
public typealias GetChildrenRequest = PathWatchRequest
public typealias GetChildren2Request = PathWatchRequest

/// `{ustring path; int version}`: delete, check. Version -1 matches any.
public struct PathVersionRequest: JuteRecord, Hashable {
    public var path: String
    public var version: Int32

    public init(path: String, version: Int32 = -1) {
        self.path = path
        self.version = version
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        path = try reader.readJuteString(field: "path")
        version = try reader.readInt32()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(path)
        writer.writeInt32(version)
    }
}

public typealias DeleteRequest = PathVersionRequest
public typealias CheckVersionRequest = PathVersionRequest

/// create, create2, createContainer (`CreateRequest`) and createTTL (`CreateTTLRequest`, the
/// same with a trailing `long ttl`): one type, `ttl` nil for the former.
public struct CreateRequest: JuteRecord, Hashable {
    public var path: String
    public var data: [UInt8]
    /// nil when the client sent a null vector (refused as an invalid ACL).
    public var acl: [ACL]?
    public var flags: Int32
    public var ttl: Int64?

    public init(path: String, data: [UInt8] = [], acl: [ACL]? = ACL.openUnsafe, flags: Int32 = 0, ttl: Int64? = nil) {
        self.path = path
        self.data = data
        self.acl = acl
        self.flags = flags
        self.ttl = ttl
    }

    /// Reads a `CreateRequest`; `withTTL` reads a `CreateTTLRequest`.
    public init(from reader: inout ByteReader, withTTL: Bool) throws(WireError) {
        path = try reader.readJuteString(field: "path")
        data = try reader.readJuteBuffer()
        acl = try reader.readACLs()
        flags = try reader.readInt32()
        ttl = withTTL ? try reader.readInt64() : nil
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        try self.init(from: &reader, withTTL: false)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(path)
        writer.writeJuteBuffer(data)
        writer.writeJuteVector(acl) { $1.encode(into: &$0) }
        writer.writeInt32(flags)
        if let ttl { writer.writeInt64(ttl) }
    }
}

public struct SetDataRequest: JuteRecord, Hashable {
    public var path: String
    public var data: [UInt8]
    public var version: Int32

    public init(path: String, data: [UInt8], version: Int32 = -1) {
        self.path = path
        self.data = data
        self.version = version
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        path = try reader.readJuteString(field: "path")
        data = try reader.readJuteBuffer()
        version = try reader.readInt32()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(path)
        writer.writeJuteBuffer(data)
        writer.writeInt32(version)
    }
}

public struct SetACLRequest: JuteRecord, Hashable {
    public var path: String
    public var acl: [ACL]?
    public var version: Int32

    public init(path: String, acl: [ACL]?, version: Int32 = -1) {
        self.path = path
        self.acl = acl
        self.version = version
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        path = try reader.readJuteString(field: "path")
        acl = try reader.readACLs()
        version = try reader.readInt32()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(path)
        writer.writeJuteVector(acl) { $1.encode(into: &$0) }
        writer.writeInt32(version)
    }
}

/// `{ustring path; int type}`: checkWatches, removeWatches (`type` is a `WatcherType`).
public struct WatchesRequest: JuteRecord, Hashable {
    public var path: String
    public var type: Int32

    public init(path: String, type: WatcherType) {
        self.path = path
        self.type = type.rawValue
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        path = try reader.readJuteString(field: "path")
        type = try reader.readInt32()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(path)
        writer.writeInt32(type)
    }
}

public typealias CheckWatchesRequest = WatchesRequest
public typealias RemoveWatchesRequest = WatchesRequest

/// addWatch: `mode` is an `AddWatchMode`.
public struct AddWatchRequest: JuteRecord, Hashable {
    public var path: String
    public var mode: Int32

    public init(path: String, mode: AddWatchMode) {
        self.path = path
        self.mode = mode.rawValue
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        path = try reader.readJuteString(field: "path")
        mode = try reader.readInt32()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(path)
        writer.writeInt32(mode)
    }
}

/// setWatches (op 101) and setWatches2 (op 105, with the two persistent lists).
public struct SetWatchesRequest: JuteRecord, Hashable {
    public var relativeZxid: Int64
    public var dataWatches: [String]
    public var existWatches: [String]
    public var childWatches: [String]
    public var persistentWatches: [String]
    public var persistentRecursiveWatches: [String]
    /// True for `SetWatches2`.
    public var isVersion2: Bool

    public init(
        relativeZxid: Int64, dataWatches: [String] = [], existWatches: [String] = [], childWatches: [String] = [],
        persistentWatches: [String] = [], persistentRecursiveWatches: [String] = [], isVersion2: Bool = false
    ) {
        self.relativeZxid = relativeZxid
        self.dataWatches = dataWatches
        self.existWatches = existWatches
        self.childWatches = childWatches
        self.persistentWatches = persistentWatches
        self.persistentRecursiveWatches = persistentRecursiveWatches
        self.isVersion2 = isVersion2
    }

    public init(from reader: inout ByteReader, version2: Bool) throws(WireError) {
        relativeZxid = try reader.readInt64()
        dataWatches = try reader.readJuteStrings(field: "dataWatches")
        existWatches = try reader.readJuteStrings(field: "existWatches")
        childWatches = try reader.readJuteStrings(field: "childWatches")
        if version2 {
            persistentWatches = try reader.readJuteStrings(field: "persistentWatches")
            persistentRecursiveWatches = try reader.readJuteStrings(field: "persistentRecursiveWatches")
        } else {
            persistentWatches = []
            persistentRecursiveWatches = []
        }
        isVersion2 = version2
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        try self.init(from: &reader, version2: false)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInt64(relativeZxid)
        writer.writeJuteStrings(dataWatches)
        writer.writeJuteStrings(existWatches)
        writer.writeJuteStrings(childWatches)
        if isVersion2 {
            writer.writeJuteStrings(persistentWatches)
            writer.writeJuteStrings(persistentRecursiveWatches)
        }
    }
}
