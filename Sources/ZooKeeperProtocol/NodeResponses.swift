import Wire

// Response bodies, sent after a `ReplyHeader` whose `err` is 0.

public struct CreateResponse: JuteRecord, Hashable {
    public var path: String
    public init(path: String) { self.path = path }
    public init(from reader: inout ByteReader) throws(WireError) { path = try reader.readJuteString(field: "path") }
    public func encode(into writer: inout ByteWriter) { writer.writeJuteString(path) }
}

/// create2, createContainer, createTTL.
public struct Create2Response: JuteRecord, Hashable {
    public var path: String
    public var stat: Stat

    public init(path: String, stat: Stat) {
        self.path = path
        self.stat = stat
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        path = try reader.readJuteString(field: "path")
        stat = try Stat(from: &reader)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteString(path)
        stat.encode(into: &writer)
    }
}

/// `{Stat stat}`: exists, setData, setACL, check.
public struct StatResponse: JuteRecord, Hashable {
    public var stat: Stat
    public init(stat: Stat) { self.stat = stat }
    public init(from reader: inout ByteReader) throws(WireError) { stat = try Stat(from: &reader) }
    public func encode(into writer: inout ByteWriter) { stat.encode(into: &writer) }
}

public typealias ExistsResponse = StatResponse
public typealias SetDataResponse = StatResponse
public typealias SetACLResponse = StatResponse

public struct GetDataResponse: JuteRecord, Hashable {
    public var data: [UInt8]
    public var stat: Stat

    public init(data: [UInt8], stat: Stat) {
        self.data = data
        self.stat = stat
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        data = try reader.readJuteBuffer()
        stat = try Stat(from: &reader)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteBuffer(data)
        stat.encode(into: &writer)
    }
}

/// getChildren (`stat` nil) and getChildren2.
public struct GetChildrenResponse: JuteRecord, Hashable {
    public var children: [String]
    public var stat: Stat?

    public init(children: [String], stat: Stat? = nil) {
        self.children = children
        self.stat = stat
    }

    public init(from reader: inout ByteReader, withStat: Bool) throws(WireError) {
        children = try reader.readJuteStrings(field: "children")
        stat = withStat ? try Stat(from: &reader) : nil
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        try self.init(from: &reader, withStat: false)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteStrings(children)
        stat?.encode(into: &writer)
    }
}

public struct GetACLResponse: JuteRecord, Hashable {
    public var acl: [ACL]
    public var stat: Stat

    public init(acl: [ACL], stat: Stat) {
        self.acl = acl
        self.stat = stat
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        acl = try reader.readACLs() ?? []
        stat = try Stat(from: &reader)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeACLs(acl)
        stat.encode(into: &writer)
    }
}

/// `{int}`: getAllChildrenNumber's total, `ErrorResponse` (multi results, addWatch).
public struct IntResponse: JuteRecord, Hashable {
    public var value: Int32
    public init(_ value: Int32) { self.value = value }
    public init(from reader: inout ByteReader) throws(WireError) { value = try reader.readInt32() }
    public func encode(into writer: inout ByteWriter) { writer.writeInt32(value) }
}

public typealias GetAllChildrenNumberResponse = IntResponse
public typealias ErrorResponse = IntResponse

/// `{vector<ustring>}`: getEphemerals.
public struct StringsResponse: JuteRecord, Hashable {
    public var values: [String]
    public init(_ values: [String]) { self.values = values }
    public init(from reader: inout ByteReader) throws(WireError) { values = try reader.readJuteStrings() }
    public func encode(into writer: inout ByteWriter) { writer.writeJuteStrings(values) }
}

public typealias GetEphemeralsResponse = StringsResponse

public struct WhoAmIResponse: JuteRecord, Hashable {
    public var clientInfo: [ClientInfo]

    public init(clientInfo: [ClientInfo]) { self.clientInfo = clientInfo }

    public init(from reader: inout ByteReader) throws(WireError) {
        clientInfo = try reader.readJuteVector { reader throws(WireError) in try ClientInfo(from: &reader) } ?? []
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeJuteVector(clientInfo) { $1.encode(into: &$0) }
    }
}

/// A watch notification's body (after `ReplyHeader{xid: -1}`).
public struct WatcherEvent: JuteRecord, Hashable {
    public var type: Int32
    public var state: Int32
    public var path: String

    public init(type: EventType, state: KeeperState = .syncConnected, path: String) {
        self.type = type.rawValue
        self.state = state.rawValue
        self.path = path
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        type = try reader.readInt32()
        state = try reader.readInt32()
        path = try reader.readJuteString(field: "path")
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInt32(type)
        writer.writeInt32(state)
        writer.writeJuteString(path)
    }
}
