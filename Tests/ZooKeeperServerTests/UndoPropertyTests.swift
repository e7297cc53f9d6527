import Foundation
import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

/// A leader applies what it decides at once and undoes what had not committed when it stops
/// leading (`ZKDatabase.applyUndoably` / `undo`). Random runs of writes (creates of every kind,
/// deletes, setData, setACL, multis, some refused, sessions opening and closing): undoing the
/// newest ones, whatever commits first, gives back exactly the state before them: nodes with
/// their children, indexes, size, sessions and zxid.
///
/// Seeds 1...3 by default; `ZK_PROPERTY_SEEDS=50` runs seeds 1...50.
@Suite struct UndoPropertyTests {
    @Test(arguments: DatabasePropertyTests.seeds)
    func undoingTheUncommittedTailRestoresTheCommittedState(seed: UInt64) {
        var workload = ZKWorkload(rng: ZKSeededRandom(seed: seed))
        var database = ZKDatabase(extendedTypes: true)
        var undone = 0
        for _ in 0..<120 {
            // States after each write of this round, and what undoes each write.
            var states = [database]
            var undos: [ZKDatabase.Undo] = []
            for _ in 0..<Int.random(in: 1...12, using: &workload.rng) {
                let (session, body) = workload.write(database)
                let txn = Txn(sessionId: session, cxid: 0, zxid: database.lastZxid + 1, time: Int64(states.count), body: body)
                let (_, undo) = database.applyUndoably(txn)
                undos.append(undo)
                states.append(database)
            }
            // The first `committed` writes committed; the rest did not and are undone, or,
            // now and then, everything stays.
            guard workload.chance(70) else { continue }
            let committed = Int.random(in: 0...undos.count, using: &workload.rng)
            database.undo(Array(undos[committed...]))
            undone += undos.count - committed
            zkExpectSameState(database, states[committed])
        }
        #expect(undone > 100, "the run undid writes (\(undone))")
        #expect(database.tree.nodes.count > 8, "the tree grew")
    }

    /// Undoing a parent's many creates leaves its children set as it was, and the parent's
    /// own stat (cversion, pzxid) too.
    @Test func undoingCreatesUnderOneParentRestoresItsChildrenAndStat() {
        var database = ZKDatabase(extendedTypes: false)
        database.apply(zkTxn(1, zkCreate("/p", parentCVersion: 1)))
        for index in 0..<50 { database.apply(zkTxn(Int64(2 + index), zkCreate("/p/c\(index)", parentCVersion: Int32(1 + index)))) }
        let before = database
        var undos: [ZKDatabase.Undo] = []
        for index in 50..<300 {
            undos.append(database.applyUndoably(zkTxn(Int64(2 + index), zkCreate("/p/c\(index)", parentCVersion: Int32(1 + index)))).1)
        }
        undos.append(database.applyUndoably(zkTxn(302, .delete(path: "/p/c3"))).1)
        database.undo(undos)
        zkExpectSameState(database, before)
        #expect(database.tree.node("/p")?.children.count == 50)
    }
}
