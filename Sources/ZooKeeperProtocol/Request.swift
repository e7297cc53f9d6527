import Wire

/// A client request after the handshake: the op the header names, with its record decoded.
///
/// `decode` turns the bytes after a `RequestHeader` into one of these. Ops a client may not
/// send (notification, createSession, deleteContainer, error) and ones this server does not
/// implement (sasl) decode to nil: ZooKeeper answers those with Unimplemented and closes.
public enum ZooKeeperRequest: Sendable, Hashable {
    case create(CreateRequest, op: OpCode)
    case delete(DeleteRequest)
    case exists(ExistsRequest)
    case getData(GetDataRequest)
    case setData(SetDataRequest)
    case getACL(GetACLRequest)
    case setACL(SetACLRequest)
    /// getChildren (`withStat` false) and getChildren2.
    case getChildren(GetChildrenRequest, withStat: Bool)
    case sync(SyncRequest)
    case ping
    case check(CheckVersionRequest)
    case multi([MultiOp])
    case multiRead([MultiOp])
    /// Its body is not read: reconfiguration is disabled here, as by default in ZooKeeper.
    case reconfig
    case checkWatches(CheckWatchesRequest)
    case removeWatches(RemoveWatchesRequest)
    case auth(AuthPacket)
    /// setWatches and setWatches2.
    case setWatches(SetWatchesRequest)
    case getEphemerals(GetEphemeralsRequest)
    case getAllChildrenNumber(GetAllChildrenNumberRequest)
    case addWatch(AddWatchRequest)
    case whoAmI
    case closeSession

    public var opCode: OpCode {
        switch self {
        case .create(_, let op): op
        case .delete: .delete
        case .exists: .exists
        case .getData: .getData
        case .setData: .setData
        case .getACL: .getACL
        case .setACL: .setACL
        case .getChildren(_, let withStat): withStat ? .getChildren2 : .getChildren
        case .sync: .sync
        case .ping: .ping
        case .check: .check
        case .multi: .multi
        case .multiRead: .multiRead
        case .reconfig: .reconfig
        case .checkWatches: .checkWatches
        case .removeWatches: .removeWatches
        case .auth: .auth
        case .setWatches(let request): request.isVersion2 ? .setWatches2 : .setWatches
        case .getEphemerals: .getEphemerals
        case .getAllChildrenNumber: .getAllChildrenNumber
        case .addWatch: .addWatch
        case .whoAmI: .whoAmI
        case .closeSession: .closeSession
        }
    }

    /// Ops that change the tree or the sessions: they become transactions.
    public var isWrite: Bool {
        switch self {
        case .create, .delete, .setData, .setACL, .check, .multi, .reconfig, .closeSession: true
        default: false
        }
    }

    /// The request record for op `type`, read from `reader`. nil for op codes a client cannot
    /// use here; throws when the record is malformed.
    public static func decode(type: Int32, from reader: inout ByteReader) throws(WireError) -> ZooKeeperRequest? {
        guard let op = OpCode(rawValue: type) else { return nil }
        switch op {
        case .create, .create2, .createContainer: return .create(try CreateRequest(from: &reader, withTTL: false), op: op)
        case .createTTL: return .create(try CreateRequest(from: &reader, withTTL: true), op: op)
        case .delete: return .delete(try DeleteRequest(from: &reader))
        case .exists: return .exists(try ExistsRequest(from: &reader))
        case .getData: return .getData(try GetDataRequest(from: &reader))
        case .setData: return .setData(try SetDataRequest(from: &reader))
        case .getACL: return .getACL(try GetACLRequest(from: &reader))
        case .setACL: return .setACL(try SetACLRequest(from: &reader))
        case .getChildren: return .getChildren(try GetChildrenRequest(from: &reader), withStat: false)
        case .getChildren2: return .getChildren(try GetChildren2Request(from: &reader), withStat: true)
        case .sync: return .sync(try SyncRequest(from: &reader))
        case .ping: return .ping
        case .check: return .check(try CheckVersionRequest(from: &reader))
        case .multi, .multiRead:
            let ops = try MultiOp.decodeList(from: &reader)
            if op == .multiRead {
                guard ops.allSatisfy(\.isRead) else {
                    throw WireError.invalidValue(field: "multiRead", detail: "only getData and getChildren may be read together")
                }
                return .multiRead(ops)
            }
            guard !ops.contains(where: \.isRead) else {
                throw WireError.invalidValue(field: "multi", detail: "reads cannot be part of a multi")
            }
            return .multi(ops)
        case .reconfig: return .reconfig
        case .checkWatches: return .checkWatches(try CheckWatchesRequest(from: &reader))
        case .removeWatches: return .removeWatches(try RemoveWatchesRequest(from: &reader))
        case .auth: return .auth(try AuthPacket(from: &reader))
        case .setWatches: return .setWatches(try SetWatchesRequest(from: &reader, version2: false))
        case .setWatches2: return .setWatches(try SetWatchesRequest(from: &reader, version2: true))
        case .getEphemerals: return .getEphemerals(try GetEphemeralsRequest(from: &reader))
        case .getAllChildrenNumber: return .getAllChildrenNumber(try GetAllChildrenNumberRequest(from: &reader))
        case .addWatch: return .addWatch(try AddWatchRequest(from: &reader))
        case .whoAmI: return .whoAmI
        case .closeSession: return .closeSession
        case .notification, .sasl, .deleteContainer, .createSession, .error: return nil
        }
    }

    /// The record after the header (for clients and tests).
    public func encodeBody(into writer: inout ByteWriter) {
        switch self {
        case .create(let request, _): request.encode(into: &writer)
        case .delete(let request): request.encode(into: &writer)
        case .exists(let request): request.encode(into: &writer)
        case .getData(let request): request.encode(into: &writer)
        case .setData(let request): request.encode(into: &writer)
        case .getACL(let request): request.encode(into: &writer)
        case .setACL(let request): request.encode(into: &writer)
        case .getChildren(let request, _): request.encode(into: &writer)
        case .sync(let request): request.encode(into: &writer)
        case .check(let request): request.encode(into: &writer)
        case .multi(let ops), .multiRead(let ops): MultiOp.encodeList(ops, into: &writer)
        case .checkWatches(let request): request.encode(into: &writer)
        case .removeWatches(let request): request.encode(into: &writer)
        case .auth(let request): request.encode(into: &writer)
        case .setWatches(let request): request.encode(into: &writer)
        case .getEphemerals(let request): request.encode(into: &writer)
        case .getAllChildrenNumber(let request): request.encode(into: &writer)
        case .addWatch(let request): request.encode(into: &writer)
        case .ping, .reconfig, .whoAmI, .closeSession: break
        }
    }

    /// Header and record: one frame's payload.
    public func encodedFrame(xid: Int32) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        RequestHeader(xid: xid, op: opCode).encode(into: &writer)
        encodeBody(into: &writer)
        return writer.bytes
    }
}
