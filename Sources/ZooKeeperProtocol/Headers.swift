import Wire

/// In front of every client request after the handshake (NOTES.md §2).
public struct RequestHeader: JuteRecord, Hashable {
    public var xid: Int32
    /// An `OpCode` raw value; kept raw so an unknown code can still be answered.
    public var type: Int32

    public init(xid: Int32, type: Int32) {
        self.xid = xid
        self.type = type
    }

    public init(xid: Int32, op: OpCode) {
        self.init(xid: xid, type: op.rawValue)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        xid = try reader.readInt32()
        type = try reader.readInt32()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInt32(xid)
        writer.writeInt32(type)
    }
}

/// In front of every server message after the handshake; a body follows only when `err` is 0.
public struct ReplyHeader: JuteRecord, Hashable {
    public var xid: Int32
    public var zxid: Int64
    public var err: Int32

    public init(xid: Int32, zxid: Int64, err: Int32) {
        self.xid = xid
        self.zxid = zxid
        self.err = err
    }

    public init(xid: Int32, zxid: Int64, error: ErrorCode) {
        self.init(xid: xid, zxid: zxid, err: error.rawValue)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        xid = try reader.readInt32()
        zxid = try reader.readInt64()
        err = try reader.readInt32()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInt32(xid)
        writer.writeInt64(zxid)
        writer.writeInt32(err)
    }

    public static let encodedSize = 16
}

/// In front of each op of a multi request and each result of a multi response (NOTES.md §6).
public struct MultiHeader: JuteRecord, Hashable {
    public var type: Int32
    public var done: Bool
    public var err: Int32

    public init(type: Int32, done: Bool, err: Int32) {
        self.type = type
        self.done = done
        self.err = err
    }

    /// Ends the list of ops or results.
    public static let end = MultiHeader(type: -1, done: true, err: -1)

    public init(from reader: inout ByteReader) throws(WireError) {
        type = try reader.readInt32()
        done = try reader.readJuteBool()
        err = try reader.readInt32()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInt32(type)
        writer.writeJuteBool(done)
        writer.writeInt32(err)
    }
}
