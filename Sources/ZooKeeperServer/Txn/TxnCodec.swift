import Wire
import ZooKeeperProtocol

/// The bytes of a transaction in the log and in catch-up traffic: Apache ZooKeeper's own txn
/// records (`zookeeper.jute`, module `org.apache.zookeeper.txn`), so its tools read Petrel's
/// logs and Petrel reads its logs.
///
///     TxnHeader { long clientId; int cxid; long zxid; long time; int type }
///     then the record for `type`:
///       create (1)           CreateTxn { path; buffer data; vector<ACL> acl; boolean ephemeral; int parentCVersion }
///       createContainer (19) CreateContainerTxn { path; data; acl; int parentCVersion }
///       createTTL (21)       CreateTTLTxn { path; data; acl; int parentCVersion; long ttl }
///       delete (2)           DeleteTxn { path }
///       setData (5)          SetDataTxn { path; data; int version }
///       setACL (7)           SetACLTxn { path; acl; int version }
///       check (13)           CheckVersionTxn { path; int version }
///       createSession (-10)  CreateSessionTxn { int timeOut }
///       closeSession (-11)   nothing (ZooKeeper 3.6+ may write CloseSessionTxn { vector<ustring> paths2Delete })
///       error (-1)           ErrorTxn { int err }
///       multi (14)           MultiTxn { vector<Txn { int type; buffer data }> }, each data one record above
///
/// `TxnBody.create` carries the node's `ephemeralOwner`; on disk that is the create type (a
/// container or TTL type) or the `ephemeral` flag, whose owner is the header's session — as in
/// ZooKeeper, an ephemeral node always belongs to the session that created it. A `check` on
/// its own is written as a multi of that one check: ZooKeeper logs a standalone check as a
/// bare CheckVersionTxn but none of its readers (3.8 to 3.10) accept one outside a multi, and
/// the two apply alike; it reads back as the plain check. Reading also
/// accepts what ZooKeeper itself writes: create2 (15), deleteContainer (20), reconfig (16), a closeSession
/// with its paths, and a `TxnDigest { int version; long treeDigest }` after the record.
enum TxnCodec {
    static func encode(_ txn: Txn, into writer: inout ByteWriter) {
        writer.writeInt64(txn.sessionId)
        writer.writeInt32(txn.cxid)
        writer.writeInt64(txn.zxid)
        writer.writeInt64(txn.time)
        let body = topLevel(txn.body)
        writer.writeInt32(type(of: body).rawValue)
        encodeRecord(body, session: txn.sessionId, into: &writer)
    }

    static func encode(_ txn: Txn) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        encode(txn, into: &writer)
        return writer.bytes
    }

    /// One transaction; a `TxnDigest` ZooKeeper may have written after it is read and ignored.
    static func decode(from reader: inout ByteReader) throws(WireError) -> Txn {
        let sessionId = try reader.readInt64()
        let cxid = try reader.readInt32()
        let zxid = try reader.readInt64()
        let time = try reader.readInt64()
        let type = try reader.readInt32()
        var body = try decodeRecord(type: type, session: sessionId, from: &reader, nested: false)
        if case .multi(let parts) = body, parts.count == 1, case .check = parts[0] { body = parts[0] }
        if reader.remaining == digestSize { try reader.skip(digestSize) }
        return Txn(sessionId: sessionId, cxid: cxid, zxid: zxid, time: time, body: body)
    }

    static func decode(_ bytes: [UInt8]) throws(WireError) -> Txn {
        var reader = ByteReader(bytes)
        let txn = try decode(from: &reader)
        if !reader.isAtEnd { throw WireError.trailingBytes(reader.remaining) }
        return txn
    }

    /// `TxnDigest { int version; long treeDigest }`.
    private static let digestSize = 12

    /// What is written for `body` at the top of a transaction.
    private static func topLevel(_ body: TxnBody) -> TxnBody {
        if case .check = body { return .multi([body]) }
        return body
    }

    private static func type(of body: TxnBody) -> OpCode {
        guard case .create(_, _, _, let owner, _) = body else { return body.code }
        switch NodeKind(owner: owner, extendedTypes: true) {
        case .container: return .createContainer
        case .ttl: return .createTTL
        case .persistent, .ephemeral: return .create
        }
    }

    private static func encodeRecord(_ body: TxnBody, session: Int64, into writer: inout ByteWriter) {
        switch body {
        case .createSession(let timeout):
            writer.writeInt32(timeout)
        case .closeSession:
            break
        case .create(let path, let data, let acl, let owner, let parentCVersion):
            writer.writeJuteString(path)
            writer.writeJuteBuffer(data)
            writer.writeACLs(acl)
            switch NodeKind(owner: owner, extendedTypes: true) {
            case .container:
                writer.writeInt32(parentCVersion)
            case .ttl(let milliseconds):
                writer.writeInt32(parentCVersion)
                writer.writeInt64(milliseconds)
            case .persistent, .ephemeral:
                writer.writeBool(owner != 0)
                writer.writeInt32(parentCVersion)
            }
        case .delete(let path):
            writer.writeJuteString(path)
        case .setData(let path, let data, let version):
            writer.writeJuteString(path)
            writer.writeJuteBuffer(data)
            writer.writeInt32(version)
        case .setACL(let path, let acl, let version):
            writer.writeJuteString(path)
            writer.writeACLs(acl)
            writer.writeInt32(version)
        case .check(let path, let version):
            writer.writeJuteString(path)
            writer.writeInt32(version)
        case .error(let code):
            writer.writeInt32(code)
        case .multi(let parts):
            writer.writeInt32(Int32(truncatingIfNeeded: parts.count))
            for part in parts {
                writer.writeInt32(type(of: part).rawValue)
                var record = ByteWriter(capacity: 64)
                encodeRecord(part, session: session, into: &record)
                writer.writeJuteBuffer(record.bytes)
            }
        }
    }

    private static func decodeRecord(type: Int32, session: Int64, from reader: inout ByteReader, nested: Bool) throws(WireError) -> TxnBody {
        guard let op = OpCode(rawValue: type) else {
            throw WireError.invalidValue(field: "txn type", detail: "unknown op code \(type)")
        }
        switch op {
        case .createSession:
            return .createSession(timeout: try reader.readInt32())
        case .closeSession:
            // ZooKeeper 3.6+ lists the ephemerals to delete; they follow from the tree anyway.
            // Twelve bytes may also be a digest alone: the list is taken only if it reads whole.
            var paths = reader
            if reader.remaining >= 4, (try? paths.readJuteStrings(field: "paths2Delete")) != nil,
                paths.remaining == 0 || paths.remaining == digestSize {
                reader = paths
            }
            return .closeSession
        case .create, .create2, .createContainer, .createTTL:
            let path = try reader.readJuteString(field: "path")
            let data = try reader.readJuteBuffer()
            let acl = try reader.readACLs() ?? []
            let owner: Int64
            let parentCVersion: Int32
            switch op {
            case .createContainer:
                parentCVersion = try reader.readInt32()
                owner = NodeKind.container.owner
            case .createTTL:
                parentCVersion = try reader.readInt32()
                let ttl = try reader.readInt64()
                guard ttl > 0, ttl <= NodeKind.maxTTL else {
                    throw WireError.invalidValue(field: "ttl", detail: "\(ttl) is not a TTL")
                }
                owner = NodeKind.ttl(milliseconds: ttl).owner
            default:
                owner = try reader.readBool() ? session : 0
                parentCVersion = try reader.readInt32()
            }
            return .create(path: path, data: data, acl: acl, ephemeralOwner: owner, parentCVersion: parentCVersion)
        case .delete, .deleteContainer:
            return .delete(path: try reader.readJuteString(field: "path"))
        case .setData, .reconfig:
            // ZooKeeper logs a reconfig as a SetDataTxn of /zookeeper/config.
            let path = try reader.readJuteString(field: "path")
            let data = try reader.readJuteBuffer()
            return .setData(path: path, data: data, version: try reader.readInt32())
        case .setACL:
            let path = try reader.readJuteString(field: "path")
            let acl = try reader.readACLs() ?? []
            return .setACL(path: path, acl: acl, version: try reader.readInt32())
        case .check:
            let path = try reader.readJuteString(field: "path")
            return .check(path: path, version: try reader.readInt32())
        case .error:
            return .error(try reader.readInt32())
        case .multi where !nested:
            guard let count = try reader.readArrayCount(compact: false) else {
                throw WireError.unexpectedNull(field: "multi txns")
            }
            var parts: [TxnBody] = []
            parts.reserveCapacity(count)
            for _ in 0..<count {
                let partType = try reader.readInt32()
                var part = ByteReader(try reader.readJuteBuffer())
                parts.append(try decodeRecord(type: partType, session: session, from: &part, nested: true))
                if !part.isAtEnd { throw WireError.trailingBytes(part.remaining) }
            }
            return .multi(parts)
        default:
            throw WireError.invalidValue(field: "txn type", detail: "\(op) is not a transaction here")
        }
    }
}
