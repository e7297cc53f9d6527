import Glibc
import Wire
import ZooKeeperProtocol

/// A snapshot: the whole `ZKDatabase` as of one zxid, in `dataDir/version-2/snapshot.<zxid>`,
/// in Apache ZooKeeper's format (`FileSnap`), so its `SnapshotFormatter` and its recovery read
/// Petrel's snapshots and Petrel reads its (uncompressed) ones:
///
///     FileHeader { int magic "ZKSN"; int version 2; long dbid -1 }
///     int session count | (long id, int timeout)*
///     int ACL list count | (long ref, vector<ACL>)*              -- ReferenceCountedACLCache
///     (ustring path, buffer data, long acl ref,
///      StatPersisted { long czxid, mzxid, ctime, mtime; int version, cversion, aversion;
///                      long ephemeralOwner, pzxid })*           -- parents before children,
///                                                                  the root as ""
///     ustring "/"                                                -- end of the nodes
///     long Adler-32 of every byte before it | ustring "/"        -- the seal
///
/// ZooKeeper may add sections after the seal (the tree digest, each sealed again); they are
/// ignored here. The zxid is the file name's, as in ZooKeeper. Children are not stored; they
/// follow from the paths. An ACL ref of -1 is ZooKeeper's shorthand for the open ACL.
///
/// Written to a temporary name, synced, then renamed, so a snapshot file either is complete
/// or does not exist; a file that fails its checksum anyway (a disk error) is skipped at
/// recovery for the next older one.
enum SnapshotFile {
    static let dbid: Int64 = -1
    private static let openACLRef: Int64 = -1
    /// Bytes a node takes at least: path length, data length, ACL ref and the stat.
    private static let minimumNodeSize = 4 + 4 + 8 + 60

    /// Writes `database` durably; returns the file's path.
    static func write(_ database: ZKDatabase, to directory: String) throws(FileError) -> String {
        try FileSystem.createDirectories(directory)
        let path = directory + "/" + StorageFiles.snapshotName(database.lastZxid)
        let temporary = path + ".tmp"
        let file = try FileHandle.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        var checksum = Adler32()
        var offset = 0
        var writer = ByteWriter(capacity: 1 << 20)
        func flush(_ writer: inout ByteWriter, final: Bool = false) throws(FileError) {
            if !final && writer.bytes.count < 1 << 20 { return }
            let bytes = writer.bytes
            checksum.update(bytes)
            try file.write(bytes, at: offset)
            offset += bytes.count
            writer = ByteWriter(capacity: 1 << 20)
        }
        let nodes = database.tree.nodes
        writer.writeBytes(StorageFiles.header(magic: StorageFiles.snapshotMagic, dbid: dbid))
        writer.writeInt32(Int32(truncatingIfNeeded: database.sessions.count))
        for (id, timeout) in database.sessions.sorted(by: { $0.key < $1.key }) {
            writer.writeInt64(id)
            writer.writeInt32(timeout)
        }
        // Parents before children, as ZooKeeper's reader needs.
        var order: [String] = []
        order.reserveCapacity(nodes.count)
        var stack = [ZNodePath.root]
        while let path = stack.popLast() {
            guard let node = nodes[path] else { continue }
            order.append(path)
            for name in node.children.sorted(by: >) { stack.append(ZNodePath.join(path, name)) }
        }
        var refs: [[ACL]: Int64] = [:]
        var lists: [[ACL]] = []
        for path in order {
            guard let acl = nodes[path]?.acl, refs[acl] == nil else { continue }
            lists.append(acl)
            refs[acl] = Int64(lists.count)
        }
        writer.writeInt32(Int32(truncatingIfNeeded: lists.count))
        for (index, acl) in lists.enumerated() {
            writer.writeInt64(Int64(index + 1))
            writer.writeACLs(acl)
        }
        for path in order {
            guard let node = nodes[path] else { continue }
            writer.writeJuteString(path == ZNodePath.root ? "" : path)
            writer.writeJuteBuffer(node.data)
            writer.writeInt64(refs[node.acl] ?? openACLRef)
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
        writer.writeJuteString("/")
        try flush(&writer, final: true)
        writer.writeInt64(Int64(checksum.value))
        writer.writeJuteString("/")
        try file.write(writer.bytes, at: offset)
        try file.sync()
        try FileSystem.rename(temporary, to: path)
        try FileSystem.syncDirectory(directory)
        return path
    }

    /// ZooKeeper's quick check (`SnapStream.isValidSnapshot`): the file ends with the seal's
    /// "/" (an int 1 and the byte '/').
    /// Stores a snapshot's bytes as they are (a quorum leader's snapshot, already in this
    /// format) as `snapshot.<zxid>`, atomically and durably; returns the path.
    static func write(bytes: [UInt8], zxid: Int64, to directory: String) throws(FileError) -> String {
        try FileSystem.createDirectories(directory)
        let path = directory + "/" + StorageFiles.snapshotName(zxid)
        try FileSystem.writeAtomically(bytes, to: path)
        return path
    }

    static func isSealed(_ path: String) -> Bool {
        guard let file = try? FileHandle.open(path, flags: O_RDONLY), let size = try? file.size(),
            size >= StorageFiles.headerSize + 10, let tail = try? file.read(count: 5, at: size - 5)
        else { return false }
        return tail == [0, 0, 0, 1, UInt8(ascii: "/")]
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
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let zxid = StorageFiles.zxid(of: name, prefix: "snapshot.") else {
            throw .damaged("\(path): not named snapshot.<zxid>")
        }
        let bytes: [UInt8]
        do { bytes = try FileHandle.open(path, flags: O_RDONLY).readAll() } catch { throw .file(error) }
        return try decode(bytes, zxid: zxid, path: path, extendedTypes: extendedTypes)
    }

    /// A snapshot file's contents (read from disk, or sent by a quorum leader) as the database
    /// at `zxid`; `path` only names it in errors.
    static func decode(_ bytes: [UInt8], zxid: Int64, path: String, extendedTypes: Bool) throws(LoadError) -> ZKDatabase {
        guard StorageFiles.hasHeader(bytes, magic: StorageFiles.snapshotMagic) else {
            throw .damaged("\(path): not a snapshot")
        }
        var reader = ByteReader(bytes[StorageFiles.headerSize...])
        do throws(WireError) {
            let sessionCount = Int(try reader.readInt32())
            guard sessionCount >= 0, sessionCount <= reader.remaining / 12 else {
                throw WireError.lengthTooLarge(sessionCount, limit: reader.remaining / 12)
            }
            var sessions: [Int64: Int32] = [:]
            for _ in 0..<sessionCount { sessions[try reader.readInt64()] = try reader.readInt32() }
            let listCount = Int(try reader.readInt32())
            guard listCount >= 0, listCount <= reader.remaining / 12 else {
                throw WireError.lengthTooLarge(listCount, limit: reader.remaining / 12)
            }
            var lists: [Int64: [ACL]] = [openACLRef: ACL.openUnsafe]
            for _ in 0..<listCount {
                let ref = try reader.readInt64()
                guard let acl = try reader.readACLs() else { throw WireError.unexpectedNull(field: "acls") }
                lists[ref] = acl
            }
            var nodes = NodeTable()
            while true {
                let stored = try reader.readJuteString(field: "path")
                if stored == "/" { break }
                if reader.remaining < minimumNodeSize - 4 { throw WireError.lengthTooLarge(minimumNodeSize, limit: reader.remaining) }
                let path = stored.isEmpty ? ZNodePath.root : stored
                let data = try reader.readJuteNullableBuffer() ?? []
                let ref = try reader.readInt64()
                guard let acl = lists[ref] else {
                    throw WireError.invalidValue(field: "acl", detail: "\(path) refers to ACL list \(ref), which is not in the snapshot")
                }
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
                if nodes.contains(path) {
                    throw WireError.invalidValue(field: "path", detail: "\(path) appears twice")
                }
                nodes.set(path, node)
            }
            let sealed = bytes.count - reader.remaining
            let stored = try reader.readInt64()
            let seal = try reader.readJuteString(field: "seal")
            guard stored == Int64(Adler32.checksum(bytes[..<sealed])), seal == "/" else {
                throw WireError.invalidValue(field: "checksum", detail: "mismatch")
            }
            for path in Array(nodes.keys) where path != ZNodePath.root {
                guard let (parent, name) = ZNodePath.split(path), !name.isEmpty,
                    nodes.modify(parent, { $0.children.insert(name) }) != nil
                else {
                    throw WireError.invalidValue(field: "path", detail: "\(path) has no parent in the snapshot")
                }
            }
            guard nodes.contains(ZNodePath.root) else { throw WireError.invalidValue(field: "nodes", detail: "no root") }
            return ZKDatabase(tree: DataTree(extendedTypes: extendedTypes, nodes: nodes), sessions: sessions, lastZxid: zxid)
        } catch {
            throw .damaged("\(path): \(error)")
        }
    }
}
