import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

@Suite struct ZKDatabaseTests {
    @Test func plainTransactionsApplyAndAdvanceTheZxid() throws {
        var database = ZKDatabase(extendedTypes: false)
        #expect(database.next(.createSession(timeout: 10_000), session: 5).results == [.session])
        #expect(database.sessions == [5: 10_000])
        let created = database.next(zkCreate("/a", "x", parentCVersion: 1))
        guard case .created(let path, let stat)? = created.results.first else {
            Issue.record("not created: \(created.results)")
            return
        }
        #expect(path == "/a" && stat.czxid == 2 && stat.ctime == 1_700_000_000_002)
        #expect(database.next(.setData(path: "/a", data: [7], version: 1)).results.count == 1)
        #expect(database.next(.setACL(path: "/a", acl: ACL.readUnsafe, version: 1)).results == [.aclSet(try #require(database.tree.stat("/a")))])
        #expect(database.next(.check(path: "/a", version: 1)).results == [.checked])
        #expect(database.next(.error(ErrorCode.badVersion.rawValue)).results == [.failed(.badVersion)])
        #expect(database.lastZxid == 6, "a failed write still takes its zxid")
        #expect(database.next(.delete(path: "/a")).results == [.deleted])
        #expect(database.tree.node("/a") == nil)
        #expect(database.next(.closeSession, session: 5).results == [.session])
        #expect(database.sessions.isEmpty)
        #expect(database.lastZxid == 8)
    }

    @Test func anOlderZxidNeverMovesLastZxidBack() {
        var database = ZKDatabase(extendedTypes: false)
        database.apply(zkTxn(10, zkCreate("/a", parentCVersion: 1)))
        database.apply(zkTxn(4, zkCreate("/b", parentCVersion: 2)))
        #expect(database.lastZxid == 10)
    }

    @Test func replayingACreateOrDeleteTwiceReportsFailureAndChangesNothing() {
        var database = ZKDatabase(extendedTypes: false)
        let create = zkTxn(1, zkCreate("/a", parentCVersion: 1))
        database.apply(create)
        let image = database.tree.nodes
        #expect(database.apply(create).results == [.failed(.nodeExists)])
        #expect(database.tree.nodes == image)
        database.apply(zkTxn(2, .delete(path: "/a")))
        #expect(database.apply(zkTxn(2, .delete(path: "/a"))).results == [.failed(.noNode)])
        #expect(database.apply(zkTxn(3, .setData(path: "/a", data: [], version: 1))).results == [.failed(.noNode)])
        #expect(database.apply(zkTxn(4, .check(path: "/a", version: 1))).results == [.failed(.noNode)])
    }

    @Test func aMultiAppliesAllPartsWithOneZxid() throws {
        var database = ZKDatabase(extendedTypes: false)
        database.next(zkCreate("/old", parentCVersion: 1))
        let outcome = database.apply(zkTxn(2, .multi([
            zkCreate("/m", "1", parentCVersion: 2),
            zkCreate("/m/c", parentCVersion: 1),
            .setData(path: "/m", data: [2], version: 1),
            .check(path: "/m", version: 1),
            .delete(path: "/old"),
        ])))
        #expect(outcome.results.count == 5)
        #expect(!outcome.results.contains { if case .failed = $0 { true } else { false } })
        #expect(outcome.events == [
            TreeEvent(type: .nodeCreated, path: "/m"), TreeEvent(type: .nodeChildrenChanged, path: "/"),
            TreeEvent(type: .nodeCreated, path: "/m/c"), TreeEvent(type: .nodeChildrenChanged, path: "/m"),
            TreeEvent(type: .nodeDataChanged, path: "/m"),
            TreeEvent(type: .nodeDeleted, path: "/old"), TreeEvent(type: .nodeChildrenChanged, path: "/"),
        ])
        let m = try #require(database.tree.stat("/m"))
        #expect(m.czxid == 2 && m.mzxid == 2 && m.pzxid == 2 && m.version == 1 && m.numChildren == 1)
        #expect(database.tree.node("/old") == nil)
        #expect(database.lastZxid == 2)
    }

    @Test func aMultiWithAFailingPartIsRolledBackWhole() throws {
        var database = ZKDatabase(extendedTypes: true)
        database.next(zkCreate("/keep", "k", parentCVersion: 1))
        database.next(zkCreate("/keep/child", parentCVersion: 1))
        let before = database
        let outcome = database.apply(zkTxn(3, .multi([
            zkCreate("/new", "n", owner: 99, parentCVersion: 2),
            zkCreate("/box", owner: NodeKind.container.owner, parentCVersion: 3),
            .setData(path: "/keep", data: Array("changed".utf8), version: 1),
            .delete(path: "/keep/child"),
            .delete(path: "/missing"),
            .setData(path: "/keep", data: [], version: 2),
        ])))
        #expect(outcome.results[4] == .failed(.noNode))
        #expect(outcome.events.isEmpty, "watches hear nothing of a failed multi")
        #expect(database.tree.nodes == before.tree.nodes)
        #expect(database.tree.ephemerals == before.tree.ephemerals)
        #expect(database.tree.containers == before.tree.containers)
        #expect(database.tree.approximateDataSize == before.tree.approximateDataSize)
        #expect(database.lastZxid == 3, "the failed multi still took its zxid")

        let logged = database.apply(zkTxn(4, .multi([.error(0), .error(ErrorCode.noNode.rawValue), .error(ErrorCode.runtimeInconsistency.rawValue)])))
        #expect(logged.results == [.failed(.ok), .failed(.noNode), .failed(.runtimeInconsistency)])
        #expect(database.tree.nodes == before.tree.nodes)
    }

    @Test func aTrialIsUndoneWholeZxidIncluded() throws {
        var database = ZKDatabase(extendedTypes: false)
        database.next(zkCreate("/a", parentCVersion: 1))
        let before = database
        database.beginTrial()
        database.apply(zkTxn(2, zkCreate("/b", parentCVersion: 2)))
        database.apply(zkTxn(2, .setData(path: "/a", data: [1], version: 1)))
        #expect(database.tree.node("/b") != nil)
        #expect(database.lastZxid == 1, "trial applications do not move lastZxid")
        database.endTrial()
        zkExpectSameState(database, before)
    }

    @Test func aMultiInsideATrialIsUndoneToo() throws {
        var database = ZKDatabase(extendedTypes: false)
        database.next(zkCreate("/a", parentCVersion: 1))
        let before = database
        database.beginTrial()
        database.apply(zkTxn(2, zkCreate("/x", parentCVersion: 2)))
        database.apply(zkTxn(2, .multi([zkCreate("/b", parentCVersion: 3), .setData(path: "/a", data: [1], version: 1)])))
        database.apply(zkTxn(2, .multi([zkCreate("/c", parentCVersion: 4), .delete(path: "/missing")])))
        #expect(database.tree.node("/b") != nil && database.tree.node("/x") != nil && database.tree.node("/c") == nil)
        database.endTrial()
        zkExpectSameState(database, before)
    }

    @Test func aReplayedMultiAppliesEachPartOnItsOwn() throws {
        var database = ZKDatabase(extendedTypes: false)
        database.next(zkCreate("/a", parentCVersion: 1))
        let outcome = database.apply(zkTxn(2, .multi([
            zkCreate("/a", parentCVersion: 2),  // already there: skipped
            .setData(path: "/a", data: [1], version: 1),
        ])), replaying: true)
        #expect(outcome.results.first == .failed(.nodeExists))
        #expect(database.tree.node("/a")?.data == [1] && database.tree.node("/a")?.version == 1)
        #expect(database.lastZxid == 2)
    }
}
