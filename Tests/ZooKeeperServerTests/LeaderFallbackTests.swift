import Logging
import Synchronization
import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

/// A leader's processor applies what it decides at once; when it stops leading, the writes
/// not yet committed may never commit, so it falls back to the committed state (undoing them)
/// before it follows the next leader, which then sends it what did commit.
@Suite struct LeaderFallbackTests {
    /// Keeps every submitted batch; the test decides which commit.
    final class HoldingCommitter: TxnCommitter, Sendable {
        let batches = Mutex<[(txns: [Txn], effects: [Effect])]>([])
        func submit(_ txns: [Txn], effects: [Effect]) { batches.withLock { $0.append((txns, effects)) } }
        func checkpoint(_ image: ZKDatabase) {}
        func close(completion: @escaping @Sendable () -> Void) { completion() }
        /// Runs the effects of batch `index` (its transactions committed).
        func commit(_ index: Int) { for effect in batches.withLock({ $0[index].effects }) { effect.perform() } }
    }

    @Test func losingLeadershipUndoesTheUncommittedWritesOnly() throws {
        let committer = HoldingCommitter()
        var database = ZKDatabase(extendedTypes: false)
        database.apply(zkTxn(1, .createSession(timeout: 30_000), session: 7))
        database.apply(zkTxn(2, zkCreate("/p", "parent", parentCVersion: 1)))
        let processor = RequestProcessor(
            config: ZooKeeperConfig(dataDir: "/nonexistent", clientPort: 0), database: database, committer: committer,
            logger: Logger(label: "test"), stats: ServerStats())
        processor.queue.sync { processor.changeMode(to: .leading) }

        /// One batch of writes decided by the leader, as its request handlers do.
        func decide(_ bodies: [TxnBody], session: Int64 = 7) {
            processor.queue.sync {
                for body in bodies { processor.commit(body, session: session, cxid: 1) }
                processor.flush()
            }
        }
        decide([zkCreate("/p/a", "a", parentCVersion: 2), .setData(path: "/p", data: Array("changed".utf8), version: 1)])
        decide([.createSession(timeout: 10_000)], session: 8)
        let committed = processor.queue.sync { processor.database }
        decide([zkCreate("/p/b", "b", parentCVersion: 3), .delete(path: "/p/a")])
        decide([.closeSession], session: 7)
        decide([zkCreate("/q", parentCVersion: 2), .createSession(timeout: 5_000)], session: 9)
        #expect(committer.batches.withLock { $0.count } == 5)
        #expect(processor.queue.sync { processor.database.tree.node("/q") } != nil, "applied at once")

        // The first two batches commit; then the leader loses its quorum.
        committer.commit(0)
        committer.commit(1)
        processor.queue.sync { processor.changeMode(to: .looking) }
        let fallenBack = processor.queue.sync { processor.database }
        zkExpectSameState(fallenBack, committed)
        #expect(fallenBack.tree.node("/p")?.children == ["a"])
        #expect(fallenBack.sessions == [7: 30_000, 8: 10_000])
    }
}
