import CPetrel
import Glibc
import Wire
import ZooKeeperProtocol

/// A snapshot: the whole `ZKDatabase` as of one zxid, in `dataDir/version-2/snapshot.<zxid>`.
///
/// After the 16-byte header:
///
///     int64 zxid | int32 session count | (int64 id, int32 timeout)* |
///     int64 node count | (ustring path, buffer data, vector<ACL>, int64 czxid, int64 mzxid,
///     int64 ctime, int64 mtime, int32 version, int32 cversion, int32 aversion,
///     int64 ephemeralOwner, int64 pzxid)* |
///     uint32 CRC-32C of everything before it | int32 0x2F454E44 ("/END")
///
/// Children are not stored; they follow from the paths. Written to a temporary name, synced,
/// then renamed, so a snapshot file either is complete or does not exist; a file that fails
/// its CRC anyway (a disk error) is skipped at recovery for the next older one.
enum SnapshotFile {
    static let trailerMagic: UInt32 = 0x2F45_4E44

    /// Writes `database` durably; returns the file's path.
    static func write(_ database: ZKDatabase, to directory: String) throws(FileError) -> String {
        try FileSystem.createDirectories(directory)
        let path = directory + "/" + StorageFiles.snapshotName(database.lastZxid)
        let temporary = path + ".tmp"
        let file = try FileHandle.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        var crc: UInt32 = 0
        var offset = 0
        var writer = ByteWriter(capacity: 1 << 20)
        func flush(_ writer: inout ByteWriter, final: Bool = false) throws(FileError) {
            if !final && writer.bytes.count < 1 << 20 { return }
            let bytes = writer.bytes
            crc = bytes.withUnsafeBytes { petrel_crc32c(crc, $0.baseAddress, $0.count) }
            try file.write(bytes, at: offset)
            offset += bytes.count
            writer = ByteWriter(capacity: 1 << 20)
        }
        writer.writeBytes(StorageFiles.header(magic: StorageFiles.snapshotMagic))
        writer.writeInt64(database.lastZxid)
        writer.writeInt32(Int32(truncatingIfNeeded: database.sessions.count))
        for (id, timeout) in database.sessions.sorted(by: { $0.key < $1.key }) {
            writer.writeInt64(id)
            writer.writeInt32(timeout)
        }
        writer.writeInt64(Int64(database.tree.nodes.count))
        for (path, node) in database.tree.nodes {
            writer.writeJuteString(path)
            writer.writeJuteBuffer(node.data)
            writer.writeACLs(node.acl)
            writer.writeInt64(node.czxid)
            writer.writeInt64(node.mzxid)
            writer.writeInt64(node.ctime)
            writer.writeInt64(node.mtime)
            writer.writeInt32(node.version)
            writer.writeInt32(node.cversion)
            writer.writeInt32(node.aversion)
            writer.writeInt64(node.ephemeralOwner)
            writer.writeInt64(node.pzxid)
            try flush(&writer)
        }
        try flush(&writer, final: true)
        writer.writeUInt32(crc)
        writer.writeUInt32(trailerMagic)
        try file.write(writer.bytes, at: offset)
        try file.sync()
        try FileSystem.rename(temporary, to: path)
        try FileSystem.syncDirectory(directory)
        return path
    }

    enum LoadError: Error, CustomStringConvertible {
        case file(FileError)
        case damaged(String)

        var description: String {
            switch self {
            case .file(let error): "\(error)"
            case .damaged(let reason): reason
            }
        }
    }

    static func read(_ path: String, extendedTypes: Bool) throws(LoadError) -> ZKDatabase {
        let bytes: [UInt8]
        do { bytes = try FileHandle.open(path, flags: O_RDONLY).readAll() } catch { throw .file(error) }
        guard StorageFiles.hasHeader(bytes, magic: StorageFiles.snapshotMagic), bytes.count >= StorageFiles.headerSize + 8 else {
            throw .damaged("\(path): not a snapshot")
        }
        let bodyEnd = bytes.count - 8
        var trailer = ByteReader(bytes[bodyEnd...])
        let storedCRC = (try? trailer.readUInt32()) ?? 0
        let magic = (try? trailer.readUInt32()) ?? 0
        let actualCRC = bytes.withUnsafeBytes { petrel_crc32c(0, $0.baseAddress, bodyEnd) }
        guard magic == trailerMagic, storedCRC == actualCRC else { throw .damaged("\(path): incomplete or CRC mismatch") }
        var reader = ByteReader(bytes[StorageFiles.headerSize..<bodyEnd])
        do throws(WireError) {
            let zxid = try reader.readInt64()
            let sessionCount = Int(try reader.readInt32())
            guard sessionCount >= 0, sessionCount <= reader.remaining / 12 else { throw WireError.lengthTooLarge(sessionCount, limit: reader.remaining / 12) }
            var sessions: [Int64: Int32] = [:]
            for _ in 0..<sessionCount { sessions[try reader.readInt64()] = try reader.readInt32() }
            let nodeCount = try reader.readInt64()
            guard nodeCount >= 0, nodeCount <= Int64(reader.remaining / 60) else { throw WireError.lengthTooLarge(Int(clamping: nodeCount), limit: reader.remaining / 60) }
            var nodes: [String: DataNode] = [:]
            nodes.reserveCapacity(Int(nodeCount))
            var interned: [[ACL]: [ACL]] = [:]
            for _ in 0..<nodeCount {
                let path = try reader.readJuteString(field: "path")
                let data = try reader.readJuteBuffer()
                var acl = try reader.readACLs() ?? []
                if let shared = interned[acl] { acl = shared } else { interned[acl] = acl }
                var node = DataNode(data: data, acl: acl, zxid: 0, time: 0, ephemeralOwner: 0)
                node.czxid = try reader.readInt64()
                node.mzxid = try reader.readInt64()
                node.ctime = try reader.readInt64()
                node.mtime = try reader.readInt64()
                node.version = try reader.readInt32()
                node.cversion = try reader.readInt32()
                node.aversion = try reader.readInt32()
                node.ephemeralOwner = try reader.readInt64()
                node.pzxid = try reader.readInt64()
                nodes[path] = node
            }
            guard reader.isAtEnd else { throw WireError.trailingBytes(reader.remaining) }
            for path in Array(nodes.keys) where path != ZNodePath.root {
                guard let (parent, name) = ZNodePath.split(path), nodes[parent] != nil else {
                    throw WireError.invalidValue(field: "path", detail: "\(path) has no parent in the snapshot")
                }
                nodes[parent]?.children.insert(name)
            }
            guard nodes[ZNodePath.root] != nil else { throw WireError.invalidValue(field: "nodes", detail: "no root") }
            return ZKDatabase(tree: DataTree(extendedTypes: extendedTypes, nodes: nodes), sessions: sessions, lastZxid: zxid)
        } catch {
            throw .damaged("\(path): \(error)")
        }
    }
}
