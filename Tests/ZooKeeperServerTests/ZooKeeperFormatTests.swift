import Foundation
import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

/// The transaction log and snapshots are Apache ZooKeeper's formats, checked against ZooKeeper
/// itself (Debian's `zookeeper` package, 3.8): its `FileTxnSnapLog.restore` recovers a data
/// directory Petrel wrote to the same tree, its `TxnLogToolkit` and `SnapshotFormatter` read the
/// files, and Petrel recovers a directory ZooKeeper's own code wrote (with its txn digests,
/// CloseSessionTxn paths and the digest section of its snapshots).
///
/// Skipped, saying so, when `java` or `/usr/share/java/zookeeper.jar` is missing.
@Suite(.enabled(if: ZooKeeperJava.available, "needs java and Debian's zookeeper jar (/usr/share/java/zookeeper.jar)"))
struct ZooKeeperFormatTests {
    @Test func zooKeeperRecoversWhatPetrelWrote() throws {
        let store = ZKStore("zkformat-petrel", extendedTypes: true)
        defer { store.remove() }
        let owner: Int64 = 0x0100_0000_0000_0007
        let digest = [ACL(.all, Id(scheme: "digest", id: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")), ACL(.read, .anyone)]
        try store.commit(.createSession(timeout: 30_000), session: owner)
        try store.commit(.createSession(timeout: 12_000), session: owner + 1)
        try store.commit(.create(path: "/app", data: Array("config".utf8), acl: digest, ephemeralOwner: 0, parentCVersion: 1))
        try store.commit(zkCreate("/app/lock-0000000000", "me", owner: owner, parentCVersion: 1), session: owner)
        try store.commit(zkCreate("/app/gone", owner: owner + 1, parentCVersion: 2), session: owner + 1)
        try store.snapshot()
        try store.commit(zkCreate("/box", owner: NodeKind.container.owner, parentCVersion: 2))
        try store.commit(zkCreate("/ttl", [0, 1, 2, 255].map { String(UnicodeScalar($0)) }.joined(), owner: NodeKind.ttl(milliseconds: 60_000).owner, parentCVersion: 3))
        try store.commit(.setData(path: "/app", data: Array("config v2".utf8), version: 1))
        try store.commit(.multi([
            zkCreate("/box/item", parentCVersion: 1), .setData(path: "/ttl", data: [], version: 1),
            .check(path: "/app", version: 1), .delete(path: "/app/gone"),
        ]), session: owner)
        try store.commit(.error(ErrorCode.noNode.rawValue))
        try store.commit(.setACL(path: "/box", acl: ACL.readUnsafe, version: 1))
        try store.commit(.closeSession, session: owner + 1)
        try store.log.roll()
        try store.commit(zkCreate("/late", parentCVersion: 5))
        try store.log.close()

        let restored = try ZooKeeperJava.run(["restore", store.dir.file("log"), store.dir.file("data")])
        #expect(restored.status == 0, "\(restored.errors)")
        #expect(restored.lines == zkDump(store.database))

        for log in store.logFiles {
            let toolkit = try ZooKeeperJava.run(class: "org.apache.zookeeper.server.persistence.TxnLogToolkit", [log])
            #expect(toolkit.status == 0, "\(toolkit.errors)")
            #expect(toolkit.output.contains("EOF reached after"), "\(toolkit.output)")
            #expect(!toolkit.output.contains("CRC ERROR") && !toolkit.output.lowercased().contains("exception"), "\(toolkit.output)")
        }
        let all = try ZooKeeperJava.run(class: "org.apache.zookeeper.server.persistence.TxnLogToolkit", [try #require(store.logFiles.first)])
        #expect(all.output.contains("EOF reached after 5 txns."), "\(all.output)")
        #expect(all.output.contains("createSession") && all.output.contains("/app/lock-0000000000"), "\(all.output)")
        let middle = try ZooKeeperJava.run(class: "org.apache.zookeeper.server.persistence.TxnLogToolkit", [store.logFiles[1]])
        #expect(middle.output.contains("EOF reached after 7 txns."), "\(middle.output)")
        for op in ["createcontainer /box", "createttl /ttl", "setdata /app", "multi", "error", "setacl '/box", "closesession", "multi create"] {
            #expect(middle.output.lowercased().contains(op), "\(op) in \(middle.output)")
        }

        let snapshot = try #require(store.snapshotFiles.first)
        let formatted = try ZooKeeperJava.run(class: "org.apache.zookeeper.server.SnapshotFormatter", [snapshot])
        #expect(formatted.status == 0, "\(formatted.errors)")
        #expect(formatted.output.contains("/app/lock-0000000000") && formatted.output.contains("/zookeeper/quota"), "\(formatted.output)")
        #expect(formatted.output.contains("Session Details (sid, timeout, ephemeralCount):"), "\(formatted.output)")
    }

    /// A random workload (every create mode, multis, sessions, snapshots with and without
    /// rolling, purges): ZooKeeper's recovery of the directory matches Petrel's state. With
    /// `snapshots` off, ZooKeeper's own `DataTree` replays every transaction from the empty
    /// tree, which checks Petrel's transaction semantics (every stat field, ephemerals,
    /// containers, TTLs, sequential names) against ZooKeeper's, not just the file formats.
    ///
    /// `ZK_FORMAT_SEEDS=20` runs twenty seeds of each kind.
    static var randomCases: [(UInt64, Bool)] {
        let count = ProcessInfo.processInfo.environment["ZK_FORMAT_SEEDS"].flatMap(UInt64.init) ?? 2
        var cases: [(UInt64, Bool)] = []
        for index in 0..<max(count, 1) {
            cases.append((11 + 2 * index, true))
            cases.append((12 + 2 * index, false))
        }
        return cases
    }

    @Test(arguments: randomCases)
    func zooKeeperRecoversARandomWorkload(seed: UInt64, snapshots: Bool) throws {
        let store = ZKStore("zkformat-random", extendedTypes: true)
        defer { store.remove() }
        var workload = ZKWorkload(rng: ZKSeededRandom(seed: seed))
        try store.snapshot()  // ZooKeeper refuses logs without any snapshot, and writes one at start
        for index in 0..<(snapshots ? 300 : 500) {
            try workload.step(store)
            guard snapshots else { continue }
            if index % 70 == 69 { try store.snapshot() }
            if index % 90 == 89 { _ = try SnapshotFile.write(store.database, to: store.dir.snapshots) }
            if index == 250 { _ = Purge.run(snapshotDirectory: store.dir.snapshots, logDirectory: store.dir.logs, retain: 3) }
        }
        try store.log.close()
        let restored = try ZooKeeperJava.run(["restore", store.dir.file("log"), store.dir.file("data")])
        #expect(restored.status == 0, "\(restored.errors)")
        #expect(restored.lines == zkDump(store.database))
        #expect(store.database.tree.nodes.count > 10)
    }

    @Test func petrelRecoversWhatZooKeeperWrote() throws {
        let dir = ZKTempDir("zkformat-zookeeper")
        defer { dir.remove() }
        let written = try ZooKeeperJava.run(["write", dir.file("log"), dir.file("data")])
        #expect(written.status == 0, "\(written.errors)")
        #expect(dir.names(in: dir.logs).count == 2 && dir.names(in: dir.snapshots).count == 1)
        let (database, report) = try Recovery.load(snapshotDirectory: dir.snapshots, logDirectory: dir.logs, extendedTypes: true)
        #expect(report.snapshot != nil && report.skippedSnapshots.isEmpty && report.truncated.isEmpty, "\(report)")
        #expect(report.replayed > 0)
        #expect(zkDump(database) == written.lines)
        // And ZooKeeper's own recovery of those files agrees.
        let restored = try ZooKeeperJava.run(["restore", dir.file("log"), dir.file("data")])
        #expect(restored.lines == written.lines)
    }
}

/// The tree as `ZkCheck.java` prints it: the zxid, the sessions, then one sorted line per node
/// with every persisted stat field, the data in hex and the ACL.
func zkDump(_ database: ZKDatabase) -> [String] {
    var lines = ["zxid " + String(UInt64(bitPattern: database.lastZxid), radix: 16)]
    for (id, timeout) in database.sessions.sorted(by: { $0.key < $1.key }) {
        lines.append("session \(String(UInt64(bitPattern: id), radix: 16)) \(timeout)")
    }
    var nodes: [String] = []
    for (path, node) in database.tree.nodes {
        var line = "node \(path)"
        for value in [node.czxid, node.mzxid, node.ctime, node.mtime, Int64(node.version), Int64(node.cversion), Int64(node.aversion), node.ephemeralOwner, node.pzxid] {
            line += " \(value)"
        }
        line += " " + node.data.map { String(format: "%02x", $0) }.joined()
        for acl in node.acl { line += " \(acl.perms):\(acl.id.scheme):\(acl.id.id)" }
        nodes.append(line)
    }
    return lines + nodes.sorted()
}

enum ZooKeeperJava {
    static let jar = "/usr/share/java/zookeeper.jar"
    /// The jar's manifest names its dependencies; slf4j-nop keeps the tools quiet.
    static let classPath = [jar, "/usr/share/java/slf4j-nop.jar"].joined(separator: ":")

    static let java: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/java") {
            return "\(directory)/java"
        }
        return nil
    }()

    static var available: Bool { java != nil && FileManager.default.fileExists(atPath: jar) }

    struct Result {
        var status: Int32
        var output: String
        var errors: String
        var lines: [String] { output.split(separator: "\n").map(String.init) }
    }

    /// Runs `ZkCheck.java` (below) with `arguments`.
    static func run(_ arguments: [String]) throws -> Result {
        let dir = ZKTempDir("zkcheck")
        defer { dir.remove() }
        let source = dir.file("ZkCheck.java")
        dir.write(Array(checker.utf8), to: source)
        return try run(arguments: ["-Dzookeeper.extendedTypesEnabled=true", "-cp", classPath, source] + arguments)
    }

    static func run(class name: String, _ arguments: [String]) throws -> Result {
        try run(arguments: ["-Dzookeeper.extendedTypesEnabled=true", "-cp", classPath, name] + arguments)
    }

    private static func run(arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: java ?? "/usr/bin/java")
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    /// `restore <logDir> <snapDir>`: ZooKeeper's own recovery, then the dump.
    /// `write <logDir> <snapDir>`: ZooKeeper's own log and snapshot writers on a small
    /// workload (a snapshot in the middle, the log rolled there), then the dump of its tree.
    static let checker = """
        import java.io.ByteArrayOutputStream;
        import java.io.File;
        import java.util.*;
        import java.util.concurrent.ConcurrentHashMap;
        import org.apache.jute.BinaryOutputArchive;
        import org.apache.jute.Record;
        import org.apache.zookeeper.ZooDefs;
        import org.apache.zookeeper.data.ACL;
        import org.apache.zookeeper.data.Id;
        import org.apache.zookeeper.data.StatPersisted;
        import org.apache.zookeeper.server.DataNode;
        import org.apache.zookeeper.server.DataTree;
        import org.apache.zookeeper.server.EphemeralType;
        import org.apache.zookeeper.server.Request;
        import org.apache.zookeeper.server.persistence.FileTxnSnapLog;
        import org.apache.zookeeper.txn.*;

        public class ZkCheck {
            static long zxid = 0;
            static long time = 1700000000000L;

            public static void main(String[] args) throws Exception {
                FileTxnSnapLog log = new FileTxnSnapLog(new File(args[1]), new File(args[2]));
                DataTree tree = new DataTree();
                Map<Long, Integer> sessions = new TreeMap<>();
                if (args[0].equals("restore")) {
                    log.restore(tree, sessions, (hdr, txn, digest) -> {});
                } else {
                    ConcurrentHashMap<Long, Integer> live = new ConcurrentHashMap<>();
                    long s1 = 0x0100000000000007L, s2 = s1 + 1;
                    List<ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;
                    List<ACL> digest = Arrays.asList(new ACL(31, new Id("digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")), new ACL(1, new Id("world", "anyone")));
                    apply(log, tree, s1, ZooDefs.OpCode.createSession, new CreateSessionTxn(30000)); live.put(s1, 30000);
                    apply(log, tree, s2, ZooDefs.OpCode.createSession, new CreateSessionTxn(12000)); live.put(s2, 12000);
                    apply(log, tree, s1, ZooDefs.OpCode.create, new CreateTxn("/app", "config".getBytes(), digest, false, 1));
                    apply(log, tree, s1, ZooDefs.OpCode.create2, new CreateTxn("/app/e", "me".getBytes(), open, true, 1));
                    apply(log, tree, s2, ZooDefs.OpCode.create, new CreateTxn("/app/gone", new byte[0], open, true, 2));
                    log.rollLog();
                    log.save(tree, live, true);
                    apply(log, tree, s1, ZooDefs.OpCode.createContainer, new CreateContainerTxn("/box", new byte[0], open, 2));
                    apply(log, tree, s1, ZooDefs.OpCode.createTTL, new CreateTTLTxn("/ttl", new byte[] {0, 1, 2, (byte) 255}, open, 3, 60000));
                    apply(log, tree, s1, ZooDefs.OpCode.setData, new SetDataTxn("/app", "config v2".getBytes(), 1));
                    List<Txn> parts = new ArrayList<>();
                    parts.add(new Txn(ZooDefs.OpCode.create, bytes(new CreateTxn("/box/item", new byte[0], open, false, 1))));
                    parts.add(new Txn(ZooDefs.OpCode.setData, bytes(new SetDataTxn("/ttl", new byte[0], 1))));
                    parts.add(new Txn(ZooDefs.OpCode.check, bytes(new CheckVersionTxn("/app", 1))));
                    apply(log, tree, s1, ZooDefs.OpCode.multi, new MultiTxn(parts));
                    apply(log, tree, s1, ZooDefs.OpCode.error, new ErrorTxn(-101));
                    apply(log, tree, s1, ZooDefs.OpCode.setACL, new SetACLTxn("/box", ZooDefs.Ids.READ_ACL_UNSAFE, 1));
                    apply(log, tree, s1, ZooDefs.OpCode.deleteContainer, new DeleteTxn("/app/e"));
                    apply(log, tree, s2, ZooDefs.OpCode.closeSession, new CloseSessionTxn(Arrays.asList("/app/gone"))); live.remove(s2);
                    log.commit();
                    log.close();
                    sessions.putAll(live);
                }
                System.out.println("zxid " + Long.toHexString(tree.lastProcessedZxid));
                for (Map.Entry<Long, Integer> e : sessions.entrySet()) {
                    System.out.println("session " + Long.toHexString(e.getKey()) + " " + e.getValue());
                }
                List<String> lines = new ArrayList<>();
                dump(tree, "/", lines);
                Collections.sort(lines);
                for (String line : lines) System.out.println(line);
            }

            static byte[] bytes(Record record) throws Exception {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                record.serialize(BinaryOutputArchive.getArchive(out), "txn");
                return out.toByteArray();
            }

            static void apply(FileTxnSnapLog log, DataTree tree, long session, int type, Record txn) throws Exception {
                zxid++;
                time++;
                TxnHeader hdr = new TxnHeader(session, (int) zxid, zxid, time, type);
                log.append(new Request(session, (int) zxid, type, hdr, txn, zxid));
                tree.processTxn(hdr, txn);
            }

            static void dump(DataTree tree, String path, List<String> out) {
                DataNode node = tree.getNode(path);
                if (node == null) return;
                StatPersisted s = node.stat;
                StringBuilder line = new StringBuilder("node ").append(path);
                for (long v : new long[] {s.getCzxid(), s.getMzxid(), s.getCtime(), s.getMtime(), s.getVersion(), s.getCversion(), s.getAversion(), s.getEphemeralOwner(), s.getPzxid()}) {
                    line.append(' ').append(v);
                }
                line.append(' ');
                byte[] data = node.getData();
                if (data != null) for (byte b : data) line.append(String.format("%02x", b & 0xff));
                for (ACL acl : tree.getACL(node)) line.append(' ').append(acl.getPerms()).append(':').append(acl.getId().getScheme()).append(':').append(acl.getId().getId());
                out.add(line.toString());
                for (String child : node.getChildren()) dump(tree, path.equals("/") ? "/" + child : path + "/" + child, out);
            }
        }
        """
}
