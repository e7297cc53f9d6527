import Foundation
import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

/// Random workloads against the database with its log and snapshots: creates of every kind,
/// deletes, setData, setACL, multis (some failing), sessions opening and closing, snapshots at
/// random points (with or without rolling the log, and some written from an older image while
/// the log moves on), and restarts. After every restart the recovered state must equal the
/// state kept in memory.
///
/// Seeds 1...3 run by default; `ZK_PROPERTY_SEEDS=50` runs seeds 1...50, and
/// `ZK_PROPERTY_SEED=1234` runs just that one.
@Suite struct DatabasePropertyTests {
    static var seeds: [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let one = environment["ZK_PROPERTY_SEED"].flatMap(UInt64.init) { return [one] }
        let count = environment["ZK_PROPERTY_SEEDS"].flatMap(UInt64.init) ?? 3
        return Array(1...max(count, 1))
    }

    @Test(arguments: seeds)
    func recoveredStateEqualsTheStateInMemory(seed: UInt64) throws {
        let store = ZKStore("property-\(seed)", extendedTypes: true)
        defer { store.remove() }
        var workload = ZKWorkload(rng: ZKSeededRandom(seed: seed))
        var restarts = 0
        var snapshots = 0
        var pendingImage: ZKDatabase?
        for _ in 0..<600 {
            try workload.step(store)

            let event = Int.random(in: 0..<100, using: &workload.rng)
            if event < 3 {
                try store.snapshot()
                snapshots += 1
            } else if event < 5 {
                _ = try SnapshotFile.write(store.database, to: store.dir.snapshots)  // no roll
                snapshots += 1
            } else if event < 7 {
                try store.log.roll()
                pendingImage = store.database  // written a little later, as the snapshot queue does
            } else if event < 9, let image = pendingImage {
                _ = try SnapshotFile.write(image, to: store.dir.snapshots)
                pendingImage = nil
                snapshots += 1
            } else if event < 11 {
                let expected = store.database
                let (recovered, report) = try store.recover()
                #expect(report.skippedSnapshots.isEmpty && report.truncated.isEmpty)
                zkExpectSameState(recovered, expected)
                store.database = recovered
                pendingImage = nil
                restarts += 1
            } else if event < 12 {
                _ = Purge.run(snapshotDirectory: store.dir.snapshots, logDirectory: store.dir.logs, retain: 3)
            }
        }
        let expected = store.database
        let (recovered, _) = try store.recover()
        zkExpectSameState(recovered, expected)
        #expect(restarts > 0 && snapshots > 0, "the workload exercised restarts (\(restarts)) and snapshots (\(snapshots))")
        #expect(expected.tree.nodes.count > 8, "the tree grew")
    }
}

struct ZKWorkload {
    var rng: ZKSeededRandom
    var sessions: [Int64] = []
    var nextSession: Int64 = 0x0100_0000_0000_0001

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &rng) < percent }
    mutating func pick<T>(_ values: [T]) -> T? { values.isEmpty ? nil : values[Int.random(in: 0..<values.count, using: &rng)] }

    mutating func data() -> [UInt8] {
        (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A path that may or may not exist: an existing node's child, or an existing node.
    mutating func path(in tree: DataTree) -> String {
        let existing = tree.nodes.keys.filter { !DataTree.isSpecial($0) || $0 == "/" }.sorted()
        let base = pick(existing) ?? "/"
        if chance(60) { return ZNodePath.join(base, "n\(Int.random(in: 0..<6, using: &rng))") }
        return base == "/" ? "/n0" : base
    }

    /// One client operation prepared against `tree` the way the server prepares it.
    mutating func operation(_ tree: DataTree, session: Int64, extendedTypes: Bool) throws(ErrorCode) -> TxnBody {
        let preparer = RequestPreparer(tree: tree, requester: Requester(sessionId: session, ids: []), extendedTypes: extendedTypes)
        let path = path(in: tree)
        switch Int.random(in: 0..<10, using: &rng) {
        case 0...3:
            let mode = pick(CreateMode.allCases) ?? .persistent
            let op: OpCode = mode.isTTL ? .createTTL : (mode.isContainer ? .createContainer : .create)
            let request = CreateRequest(
                path: path, data: data(), acl: chance(80) ? ACL.openUnsafe : ACL.readUnsafe, flags: mode.rawValue,
                ttl: mode.isTTL ? Int64.random(in: 1...100_000, using: &rng) : nil)
            return try preparer.create(request, op: op)
        case 4...5:
            return try preparer.delete(DeleteRequest(path: path, version: chance(80) ? -1 : Int32.random(in: 0...2, using: &rng)))
        case 6...7:
            return try preparer.setData(SetDataRequest(path: path, data: data(), version: chance(80) ? -1 : Int32.random(in: 0...2, using: &rng)))
        case 8:
            return try preparer.setACL(SetACLRequest(path: path, acl: chance(50) ? ACL.openUnsafe : ACL.readUnsafe, version: -1))
        default:
            return try preparer.check(CheckVersionRequest(path: path, version: -1))
        }
    }

    /// One client write against `store` (see `write`), logged and applied; a single operation
    /// prepared against the state must apply (a refused one is logged as its error txn).
    mutating func step(_ store: ZKStore) throws {
        let (session, body) = write(store.database)
        let outcome = try store.commit(body, session: session)
        switch body {
        case .createSession, .closeSession, .multi: return
        default: break
        }
        if case .failed(let code)? = outcome.results.first, code != ErrorCode(rawValue: { if case .error(let c) = body { c } else { 0 } }()) {
            Issue.record("a prepared \(body) failed with \(code)")
        }
    }

    /// One client write decided against `database`: a session opened or closed, a multi
    /// (prepared part by part on a trial of the database, as the server does; a refused one
    /// becomes an error txn), or a single operation (likewise).
    mutating func write(_ database: ZKDatabase) -> (session: Int64, body: TxnBody) {
        var database = database
        let roll = Int.random(in: 0..<100, using: &rng)
        if roll < 4 || sessions.isEmpty {
            let session = nextSession
            nextSession += 1
            sessions.append(session)
            return (session, .createSession(timeout: 30_000))
        }
        if roll < 7 {
            return (sessions.remove(at: Int.random(in: 0..<sessions.count, using: &rng)), .closeSession)
        }
        let session = pick(sessions) ?? 0
        if roll < 20 {
            var parts: [TxnBody] = []
            database.beginTrial()
            defer { database.endTrial() }
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                do throws(ErrorCode) {
                    var body = try operation(database.tree, session: session, extendedTypes: true)
                    if case .setACL = body { body = .check(path: "/", version: 0) }
                    let trial = Txn(sessionId: session, cxid: 0, zxid: database.lastZxid + 1, time: 0, body: body)
                    if case .failed(let code)? = database.apply(trial).results.first { throw code }
                    parts.append(body)
                } catch {
                    return (session, .error(error.rawValue))
                }
            }
            return (session, .multi(parts))
        }
        do throws(ErrorCode) {
            return (session, try operation(database.tree, session: session, extendedTypes: true))
        } catch {
            return (session, .error(error.rawValue))
        }
    }
}
