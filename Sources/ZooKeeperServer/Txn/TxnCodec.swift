import Wire
import ZooKeeperProtocol

/// The bytes of a transaction in the log and in catch-up traffic: the `TxnHeader` fields, the op
/// code, then the body's fields in jute's encoding (close to ZooKeeper's own txn records, but
/// the format is ours: `create` carries the owner instead of an ephemeral flag).
enum TxnCodec {
    static func encode(_ txn: Txn, into writer: inout ByteWriter) {
        writer.writeInt64(txn.sessionId)
        writer.writeInt32(txn.cxid)
        writer.writeInt64(txn.zxid)
        writer.writeInt64(txn.time)
        encode(txn.body, into: &writer)
    }

    static func encode(_ txn: Txn) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        encode(txn, into: &writer)
        return writer.bytes
    }

    static func decode(from reader: inout ByteReader) throws(WireError) -> Txn {
        let sessionId = try reader.readInt64()
        let cxid = try reader.readInt32()
        let zxid = try reader.readInt64()
        let time = try reader.readInt64()
        let body = try decodeBody(from: &reader, nested: false)
        return Txn(sessionId: sessionId, cxid: cxid, zxid: zxid, time: time, body: body)
    }

    static func decode(_ bytes: [UInt8]) throws(WireError) -> Txn {
        var reader = ByteReader(bytes)
        let txn = try decode(from: &reader)
        if !reader.isAtEnd { throw WireError.trailingBytes(reader.remaining) }
        return txn
    }

    private static func encode(_ body: TxnBody, into writer: inout ByteWriter) {
        writer.writeInt32(body.code.rawValue)
        switch body {
        case .createSession(let timeout):
            writer.writeInt32(timeout)
        case .closeSession:
            break
        case .create(let path, let data, let acl, let owner, let parentCVersion):
            writer.writeJuteString(path)
            writer.writeJuteBuffer(data)
            writer.writeACLs(acl)
            writer.writeInt64(owner)
            writer.writeInt32(parentCVersion)
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
            for part in parts { encode(part, into: &writer) }
        }
    }

    private static func decodeBody(from reader: inout ByteReader, nested: Bool) throws(WireError) -> TxnBody {
        let type = try reader.readInt32()
        guard let op = OpCode(rawValue: type) else {
            throw WireError.invalidValue(field: "txn type", detail: "unknown op code \(type)")
        }
        switch op {
        case .createSession:
            return .createSession(timeout: try reader.readInt32())
        case .closeSession:
            return .closeSession
        case .create:
            let path = try reader.readJuteString(field: "path")
            let data = try reader.readJuteBuffer()
            let acl = try reader.readACLs() ?? []
            return .create(path: path, data: data, acl: acl, ephemeralOwner: try reader.readInt64(), parentCVersion: try reader.readInt32())
        case .delete:
            return .delete(path: try reader.readJuteString(field: "path"))
        case .setData:
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
                throw WireError.unexpectedNull(field: "multi parts")
            }
            var parts: [TxnBody] = []
            parts.reserveCapacity(count)
            for _ in 0..<count { parts.append(try decodeBody(from: &reader, nested: true)) }
            return .multi(parts)
        default:
            throw WireError.invalidValue(field: "txn type", detail: "\(op) is not a transaction here")
        }
    }
}
