import Foundation
import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

/// A seeded generator, so every random test is the same on every run.
struct ZKSeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A fresh directory under the temporary directory; call `remove()` (in a `defer`) when done.
struct ZKTempDir {
    let path: String

    init(_ name: String = "zkserver") {
        let template = FileManager.default.temporaryDirectory.path + "/\(name)-XXXXXX"
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        path = made.map { String(cString: $0) } ?? template
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    var snapshots: String { path + "/data/version-2" }
    var logs: String { path + "/log/version-2" }

    func names(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    func bytes(_ file: String) -> [UInt8] {
        (FileManager.default.contents(atPath: file)).map { [UInt8]($0) } ?? []
    }

    func write(_ bytes: [UInt8], to file: String) {
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
    }
}

/// A transaction with the header fields tests do not care about filled in.
func zkTxn(_ zxid: Int64, _ body: TxnBody, session: Int64 = 0x100, time: Int64? = nil) -> Txn {
    Txn(sessionId: session, cxid: Int32(truncatingIfNeeded: zxid), zxid: zxid, time: time ?? (1_700_000_000_000 + zxid), body: body)
}

func zkCreate(_ path: String, _ data: String = "", owner: Int64 = 0, parentCVersion: Int32) -> TxnBody {
    .create(path: path, data: Array(data.utf8), acl: ACL.openUnsafe, ephemeralOwner: owner, parentCVersion: parentCVersion)
}

extension ZKDatabase {
    /// Applies `body` as the next zxid, preparing `create`'s parent cversion from the tree.
    @discardableResult
    mutating func next(_ body: TxnBody, session: Int64 = 0x100) -> Outcome {
        apply(zkTxn(lastZxid + 1, body, session: session))
    }
}

/// Two databases hold the same state: nodes (all stat fields, data, ACLs, children), the
/// indexes derived from them, the sessions and the zxid.
func zkExpectSameState(_ a: ZKDatabase, _ b: ZKDatabase, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.lastZxid == b.lastZxid, sourceLocation: sourceLocation)
    #expect(a.sessions == b.sessions, sourceLocation: sourceLocation)
    #expect(a.tree.nodes.count == b.tree.nodes.count, sourceLocation: sourceLocation)
    for (path, node) in a.tree.nodes where b.tree.nodes[path] != node {
        Issue.record("\(path): \(node) != \(String(describing: b.tree.nodes[path]))", sourceLocation: sourceLocation)
    }
    for path in b.tree.nodes.keys where a.tree.nodes[path] == nil {
        Issue.record("\(path) only in the second database", sourceLocation: sourceLocation)
    }
    #expect(a.tree.ephemerals == b.tree.ephemerals, sourceLocation: sourceLocation)
    #expect(a.tree.containers == b.tree.containers, sourceLocation: sourceLocation)
    #expect(a.tree.ttls == b.tree.ttls, sourceLocation: sourceLocation)
    #expect(a.tree.approximateDataSize == b.tree.approximateDataSize, sourceLocation: sourceLocation)
}

/// A database with its transaction log and snapshots in a temporary directory, used the way
/// the committer uses them: append, apply, snapshot an image and roll the log.
final class ZKStore {
    let dir: ZKTempDir
    let extendedTypes: Bool
    private(set) var log: TxnLogFile
    var database: ZKDatabase

    init(_ name: String = "zkstore", extendedTypes: Bool = true, preAllocSizeKB: Int = 4) {
        dir = ZKTempDir(name)
        self.extendedTypes = extendedTypes
        log = TxnLogFile(directory: dir.logs, preAllocSizeKB: preAllocSizeKB)
        database = ZKDatabase(extendedTypes: extendedTypes)
    }

    /// Logs and applies `body` as the next zxid.
    @discardableResult
    func commit(_ body: TxnBody, session: Int64 = 0x100) throws -> ZKDatabase.Outcome {
        let txn = zkTxn(database.lastZxid + 1, body, session: session)
        try log.append(TxnCodec.encode(txn), zxid: txn.zxid)
        return database.apply(txn)
    }

    /// Rolls the log and writes a snapshot of the current state.
    @discardableResult
    func snapshot() throws -> String {
        try log.roll()
        return try SnapshotFile.write(database, to: dir.snapshots)
    }

    /// A restart: the log is synced and closed, then everything is read back.
    func recover() throws -> (ZKDatabase, Recovery.Report) {
        try log.close()
        log = TxnLogFile(directory: dir.logs, preAllocSizeKB: 4)
        return try Recovery.load(snapshotDirectory: dir.snapshots, logDirectory: dir.logs, extendedTypes: extendedTypes)
    }

    /// Oldest first (by zxid, not by name: "log.a" comes after "log.1f").
    var logFiles: [String] { StorageFiles.list(dir.logs, prefix: "log.").map(\.path) }
    var snapshotFiles: [String] { StorageFiles.list(dir.snapshots, prefix: "snapshot.").map(\.path) }

    func remove() { dir.remove() }
}

/// Where `needle` starts in `haystack` (the last occurrence), for damaging a chosen record.
func zkLastOffset(of needle: String, in haystack: [UInt8]) -> Int? {
    let pattern = Array(needle.utf8)
    guard haystack.count >= pattern.count else { return nil }
    for start in stride(from: haystack.count - pattern.count, through: 0, by: -1) where haystack[start] == pattern[0] {
        if Array(haystack[start..<(start + pattern.count)]) == pattern { return start }
    }
    return nil
}
