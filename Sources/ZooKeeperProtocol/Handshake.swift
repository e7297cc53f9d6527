import Wire

/// The first frame of a connection, with no header (NOTES.md §3).
public struct ConnectRequest: JuteRecord, Hashable {
    public var protocolVersion: Int32
    public var lastZxidSeen: Int64
    /// Requested session timeout, ms.
    public var timeOut: Int32
    /// 0 for a new session.
    public var sessionId: Int64
    public var passwd: [UInt8]
    /// nil when the client left the trailing byte out (old clients); the response then leaves
    /// it out too.
    public var readOnly: Bool?

    public init(
        protocolVersion: Int32 = 0, lastZxidSeen: Int64 = 0, timeOut: Int32, sessionId: Int64 = 0,
        passwd: [UInt8] = [UInt8](repeating: 0, count: 16), readOnly: Bool? = false
    ) {
        self.protocolVersion = protocolVersion
        self.lastZxidSeen = lastZxidSeen
        self.timeOut = timeOut
        self.sessionId = sessionId
        self.passwd = passwd
        self.readOnly = readOnly
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        protocolVersion = try reader.readInt32()
        lastZxidSeen = try reader.readInt64()
        timeOut = try reader.readInt32()
        sessionId = try reader.readInt64()
        passwd = try reader.readJuteBuffer()
        readOnly = reader.isAtEnd ? nil : try reader.readJuteBool()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInt32(protocolVersion)
        writer.writeInt64(lastZxidSeen)
        writer.writeInt32(timeOut)
        writer.writeInt64(sessionId)
        writer.writeJuteBuffer(passwd)
        if let readOnly { writer.writeJuteBool(readOnly) }
    }
}

/// The answer to `ConnectRequest`, with no header. `timeOut == 0` and `sessionId == 0` say the
/// session is expired or unknown.
public struct ConnectResponse: JuteRecord, Hashable {
    public var protocolVersion: Int32
    /// Negotiated session timeout, ms.
    public var timeOut: Int32
    public var sessionId: Int64
    public var passwd: [UInt8]
    /// Written only when the request carried it.
    public var readOnly: Bool?

    public init(protocolVersion: Int32 = 0, timeOut: Int32, sessionId: Int64, passwd: [UInt8], readOnly: Bool?) {
        self.protocolVersion = protocolVersion
        self.timeOut = timeOut
        self.sessionId = sessionId
        self.passwd = passwd
        self.readOnly = readOnly
    }

    /// The reply to a reconnect with an unknown or expired session or a wrong password.
    public static func expired(readOnly: Bool?) -> ConnectResponse {
        ConnectResponse(timeOut: 0, sessionId: 0, passwd: [UInt8](repeating: 0, count: 16), readOnly: readOnly.map { _ in false })
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        protocolVersion = try reader.readInt32()
        timeOut = try reader.readInt32()
        sessionId = try reader.readInt64()
        passwd = try reader.readJuteBuffer()
        readOnly = reader.isAtEnd ? nil : try reader.readJuteBool()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInt32(protocolVersion)
        writer.writeInt32(timeOut)
        writer.writeInt64(sessionId)
        writer.writeJuteBuffer(passwd)
        if let readOnly { writer.writeJuteBool(readOnly) }
    }
}

/// addAuth (xid -4, op 100).
public struct AuthPacket: JuteRecord, Hashable {
    public var type: Int32
    public var scheme: String
    public var auth: [UInt8]

    public init(type: Int32 = 0, scheme: String, auth: [UInt8]) {
        self.type = type
        self.scheme = scheme
        self.auth = auth
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        type = try reader.readInt32()
        scheme = try reader.readJuteString(field: "AuthPacket.scheme")
        auth = try reader.readJuteBuffer()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInt32(type)
        writer.writeJuteString(scheme)
        writer.writeJuteBuffer(auth)
    }
}
