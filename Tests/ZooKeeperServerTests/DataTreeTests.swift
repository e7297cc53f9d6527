import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

@Suite struct DataTreeTests {
    private let session: Int64 = 0x0100_0000_0000_0001

    @Test func aNewTreeHoldsZooKeepersBuiltInNodes() throws {
        let tree = DataTree(extendedTypes: false)
        #expect(Set(tree.nodes.keys) == ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"])
        #expect(tree.node("/")?.children == ["zookeeper"])
        #expect(tree.node("/zookeeper")?.children == ["quota", "config"])
        #expect(tree.node("/zookeeper/config")?.acl == ACL.readUnsafe)
        // ZooKeeper counts the root twice ("" and "/").
        #expect(tree.nodeCount == 5)
        let rootStat = try #require(tree.stat("/"))
        #expect(rootStat.czxid == 0 && rootStat.mzxid == 0 && rootStat.pzxid == 0 && rootStat.numChildren == 1)
        #expect(DataTree.isSpecial("/zookeeper/config") && !DataTree.isSpecial("/zookeeper/other"))
    }

    /// Nodes with equal ACL lists hold one array, also when every list was decoded on its own
    /// (a follower's, or recovery's, transactions): ~80 bytes a node otherwise.
    @Test func equalACLListsShareOneArray() throws {
        func digest() -> [ACL] { [ACL(perms: 31, id: Id(scheme: "digest", id: "user:" + String("hash"))), ACL(perms: 1, id: Id(scheme: "world", id: "anyone"))] }
        func storage(_ acl: [ACL]) -> UnsafeRawPointer? { acl.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
        let first = digest()
        let second = digest()
        #expect(first == second && storage(first) != storage(second))
        var tree = DataTree(extendedTypes: false)
        _ = try tree.create(path: "/a", data: [], acl: first, ephemeralOwner: 0, parentCVersion: 1, zxid: 1, time: 1)
        _ = try tree.create(path: "/b", data: [], acl: second, ephemeralOwner: 0, parentCVersion: 2, zxid: 2, time: 2)
        _ = try tree.create(path: "/c", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 3, zxid: 3, time: 3)
        _ = try tree.setACL(path: "/c", acl: digest(), version: 1)
        let shared = storage(try #require(tree.node("/a")).acl)
        #expect(storage(try #require(tree.node("/b")).acl) == shared)
        #expect(storage(try #require(tree.node("/c")).acl) == shared)
        #expect(tree.node("/c")?.acl == first)
    }

    @Test func createSetsEveryStatFieldAndTouchesTheParent() throws {
        var tree = DataTree(extendedTypes: false)
        let (stat, events) = try tree.create(
            path: "/a", data: Array("hello".utf8), acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 7, time: 1234)
        #expect(stat == Stat(
            czxid: 7, mzxid: 7, ctime: 1234, mtime: 1234, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0,
            dataLength: 5, numChildren: 0, pzxid: 7))
        #expect(events == [TreeEvent(type: .nodeCreated, path: "/a"), TreeEvent(type: .nodeChildrenChanged, path: "/")])
        let root = try #require(tree.stat("/"))
        #expect(root.pzxid == 7)
        #expect(root.numChildren == 2)
        #expect(root.mzxid == 0, "a child create is not a data change of the parent")
        #expect(root.version == 0)

        let (child, _) = try tree.create(
            path: "/a/b", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 8, time: 1300)
        #expect(child.dataLength == 0 && child.czxid == 8)
        let parent = try #require(tree.stat("/a"))
        #expect(parent.cversion == 1 && parent.numChildren == 1 && parent.pzxid == 8)
        #expect(parent.mzxid == 7 && parent.mtime == 1234 && parent.czxid == 7)
    }

    @Test func cversionCountsCreatesAndDeletesAsClientsSeeIt() throws {
        var tree = DataTree(extendedTypes: false)
        _ = try tree.create(path: "/p", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 1, time: 0)
        _ = try tree.create(path: "/p/a", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 2, time: 0)
        _ = try tree.create(path: "/p/b", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 2, zxid: 3, time: 0)
        #expect(tree.stat("/p")?.cversion == 2)
        let events = try tree.delete(path: "/p/a", zxid: 4)
        #expect(events == [TreeEvent(type: .nodeDeleted, path: "/p/a"), TreeEvent(type: .nodeChildrenChanged, path: "/p")])
        let stat = try #require(tree.stat("/p"))
        #expect(stat.cversion == 3, "two creates and one delete")
        #expect(stat.numChildren == 1)
        #expect(stat.pzxid == 4)
        #expect(tree.node("/p")?.cversion == 2, "stored: the creation count, which names sequential children")
    }

    @Test func setDataAndSetACLChangeOnlyTheirFields() throws {
        var tree = DataTree(extendedTypes: false)
        _ = try tree.create(path: "/n", data: [1], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 1, time: 100)
        let (stat, events) = try tree.setData(path: "/n", data: [1, 2, 3], version: 1, zxid: 5, time: 500)
        #expect(events == [TreeEvent(type: .nodeDataChanged, path: "/n")])
        #expect(stat.version == 1 && stat.mzxid == 5 && stat.mtime == 500 && stat.dataLength == 3)
        #expect(stat.czxid == 1 && stat.ctime == 100 && stat.pzxid == 1 && stat.aversion == 0)
        #expect(tree.stat("/")?.pzxid == 1, "a data change is not a child change")
        let acl = [ACL(.read, .anyone)]
        let aclStat = try tree.setACL(path: "/n", acl: acl, version: 1)
        #expect(aclStat.aversion == 1 && aclStat.version == 1 && aclStat.mzxid == 5)
        #expect(tree.node("/n")?.acl == acl)
    }

    @Test func refusalsUseZooKeepersErrorCodes() throws {
        var tree = DataTree(extendedTypes: false)
        #expect(throws: ErrorCode.noNode) {
            try tree.create(path: "/x/y", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 1, time: 0)
        }
        #expect(throws: ErrorCode.nodeExists) {
            try tree.create(path: "/zookeeper", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 1, time: 0)
        }
        #expect(throws: ErrorCode.badArguments) {
            try tree.create(path: "/", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 1, time: 0)
        }
        for special in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
            #expect(throws: ErrorCode.badArguments) { try tree.delete(path: special, zxid: 1) }
        }
        #expect(throws: ErrorCode.noNode) { try tree.delete(path: "/missing", zxid: 1) }
        #expect(throws: ErrorCode.noNode) { try tree.setData(path: "/missing", data: [], version: 1, zxid: 1, time: 0) }
        #expect(throws: ErrorCode.noNode) { try tree.setACL(path: "/missing", acl: ACL.openUnsafe, version: 1) }
        #expect(tree.nodes.count == 4, "nothing changed")
    }

    @Test func replayedCreateWithAnOlderParentCVersionLeavesTheParentAlone() throws {
        var tree = DataTree(extendedTypes: false)
        _ = try tree.create(path: "/a", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 5, zxid: 10, time: 0)
        _ = try tree.create(path: "/b", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 3, zxid: 11, time: 0)
        let root = try #require(tree.node("/"))
        #expect(root.cversion == 5 && root.pzxid == 10)
        _ = try tree.delete(path: "/b", zxid: 9)
        #expect(tree.node("/")?.pzxid == 10, "an older delete never lowers pzxid")
    }

    @Test func sequentialNamesComeFromTheParentsCreationCount() throws {
        #expect(RequestPreparer.sequenceSuffix(0) == "0000000000")
        #expect(RequestPreparer.sequenceSuffix(42) == "0000000042")
        #expect(RequestPreparer.sequenceSuffix(Int32.max) == "2147483647")
        #expect(RequestPreparer.sequenceSuffix(-1) == "-000000001", "Java's %010d of a wrapped counter")

        var database = ZKDatabase(extendedTypes: false)
        database.next(zkCreate("/q", parentCVersion: 1))
        func createSequential(_ prefix: String, mode: CreateMode = .persistentSequential) throws -> String {
            let preparer = RequestPreparer(tree: database.tree, requester: Requester(sessionId: session, ids: []), extendedTypes: false)
            let body = try preparer.create(CreateRequest(path: prefix, flags: mode.rawValue), op: .create)
            guard case .created(let path, _)? = database.next(body, session: session).results.first else {
                Issue.record("create failed")
                return ""
            }
            return path
        }
        #expect(try createSequential("/q/job-") == "/q/job-0000000000")
        #expect(try createSequential("/q/job-") == "/q/job-0000000001")
        #expect(try createSequential("/q/lock-", mode: .ephemeralSequential) == "/q/lock-0000000002")
        database.next(.delete(path: "/q/job-0000000001"))
        #expect(try createSequential("/q/job-") == "/q/job-0000000003", "numbers are never reused")
        #expect(database.tree.node("/q/lock-0000000002")?.ephemeralOwner == session)
    }

    @Test func ephemeralsAreIndexedBySessionAndGoWithIt() throws {
        var database = ZKDatabase(extendedTypes: false)
        database.next(.createSession(timeout: 30_000), session: session)
        database.next(zkCreate("/e1", owner: session, parentCVersion: 1), session: session)
        database.next(zkCreate("/p", parentCVersion: 2))
        database.next(zkCreate("/p/e2", owner: session, parentCVersion: 1), session: session)
        database.next(zkCreate("/other", owner: 77, parentCVersion: 3), session: 77)
        #expect(database.tree.ephemerals[session] == ["/e1", "/p/e2"])
        #expect(database.tree.ephemeralCount == 3)
        #expect(database.tree.stat("/e1")?.ephemeralOwner == session)
        let outcome = database.next(.closeSession, session: session)
        #expect(outcome.results == [.session])
        #expect(Set(outcome.events.map { "\($0.type) \($0.path)" }) == [
            "nodeDeleted /e1", "nodeChildrenChanged /", "nodeDeleted /p/e2", "nodeChildrenChanged /p",
        ])
        #expect(database.tree.node("/e1") == nil && database.tree.node("/p/e2") == nil)
        #expect(database.tree.ephemerals[session] == nil)
        #expect(database.tree.ephemerals[77] == ["/other"])
        #expect(database.sessions[session] == nil)
        let root = try #require(database.tree.stat("/"))
        #expect(root.pzxid == database.lastZxid, "the close's deletes move the parent's pzxid")
    }

    @Test func containerAndTTLNodesAreMarkedInTheOwnerAndHiddenFromClients() throws {
        var tree = DataTree(extendedTypes: true)
        _ = try tree.create(path: "/c", data: [], acl: ACL.openUnsafe, ephemeralOwner: NodeKind.container.owner, parentCVersion: 1, zxid: 1, time: 0)
        let ttl = NodeKind.ttl(milliseconds: 5000)
        _ = try tree.create(path: "/t", data: [], acl: ACL.openUnsafe, ephemeralOwner: ttl.owner, parentCVersion: 2, zxid: 2, time: 0)
        #expect(tree.containers == ["/c"])
        #expect(tree.ttls == ["/t"])
        #expect(tree.stat("/c")?.ephemeralOwner == 0 && tree.stat("/t")?.ephemeralOwner == 0)
        #expect(tree.node("/c")?.ephemeralOwner == Int64.min)
        #expect(tree.node("/t")?.kind(extendedTypes: true) == ttl)
        #expect(tree.ephemerals.isEmpty)
        _ = try tree.delete(path: "/c", zxid: 3)
        _ = try tree.delete(path: "/t", zxid: 4)
        #expect(tree.containers.isEmpty && tree.ttls.isEmpty)
    }

    @Test func nodeKindReadsEphemeralOwnerAsZooKeeperDoes() {
        #expect(NodeKind(owner: 0, extendedTypes: true) == .persistent)
        #expect(NodeKind(owner: 42, extendedTypes: true) == .ephemeral(session: 42))
        #expect(NodeKind(owner: Int64.min, extendedTypes: false) == .container)
        let ttlOwner = Int64(bitPattern: 0xFF00_0000_0000_1388)
        #expect(NodeKind(owner: ttlOwner, extendedTypes: true) == .ttl(milliseconds: 5000))
        #expect(NodeKind(owner: ttlOwner, extendedTypes: false) == .ephemeral(session: ttlOwner), "without extended types it is a session")
        let reservedBitsSet = Int64(bitPattern: 0xFF01_0000_0000_1388)
        #expect(NodeKind(owner: reservedBitsSet, extendedTypes: true) == .ephemeral(session: reservedBitsSet))
        #expect(NodeKind.ttl(milliseconds: NodeKind.maxTTL).owner == Int64(bitPattern: 0xFF00_00FF_FFFF_FFFF))
        #expect(NodeKind.container.clientOwner == 0 && NodeKind.ephemeral(session: 9).clientOwner == 9)
    }

    @Test func journalUndoesEveryChangeIncludingIndexesAndSize() throws {
        var tree = DataTree(extendedTypes: false)
        _ = try tree.create(path: "/a", data: [1, 2], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 1, time: 0)
        let before = tree
        tree.beginJournal()
        _ = try tree.create(path: "/a/e", data: [9], acl: ACL.openUnsafe, ephemeralOwner: 5, parentCVersion: 1, zxid: 2, time: 0)
        _ = try tree.setData(path: "/a", data: [3], version: 1, zxid: 2, time: 9)
        _ = try tree.delete(path: "/a/e", zxid: 2)
        _ = try tree.create(path: "/b", data: [], acl: ACL.openUnsafe, ephemeralOwner: Int64.min, parentCVersion: 2, zxid: 2, time: 0)
        tree.endJournal(keep: false)
        #expect(tree.nodes == before.nodes)
        #expect(tree.ephemerals == before.ephemerals && tree.containers == before.containers)
        #expect(tree.approximateDataSize == before.approximateDataSize)

        tree.beginJournal()
        _ = try tree.create(path: "/b", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 2, zxid: 3, time: 0)
        tree.endJournal(keep: true)
        #expect(tree.node("/b") != nil)
        tree.endJournal(keep: false)
        #expect(tree.node("/b") != nil, "no journal open: nothing to undo")
    }

    @Test func sizeAndDescendantCounts() throws {
        var tree = DataTree(extendedTypes: false)
        let base = tree.approximateDataSize
        _ = try tree.create(path: "/a", data: [1, 2, 3], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 1, time: 0)
        _ = try tree.create(path: "/a/b", data: [], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 2, time: 0)
        _ = try tree.create(path: "/a/b/c", data: [1], acl: ACL.openUnsafe, ephemeralOwner: 0, parentCVersion: 1, zxid: 3, time: 0)
        #expect(tree.approximateDataSize == base + 2 + 3 + 4 + 6 + 1)
        _ = try tree.setData(path: "/a", data: [], version: 1, zxid: 4, time: 0)
        #expect(tree.approximateDataSize == base + 2 + 4 + 6 + 1)
        #expect(tree.descendantCount(of: "/a") == 2)
        #expect(tree.descendantCount(of: "/") == 6)
        #expect(tree.descendantCount(of: "/missing") == 0)
    }

    @Test func treeRebuiltFromNodesDerivesChildrenIndexes() throws {
        var tree = DataTree(extendedTypes: false)
        _ = try tree.create(path: "/e", data: [], acl: ACL.openUnsafe, ephemeralOwner: 3, parentCVersion: 1, zxid: 1, time: 0)
        _ = try tree.create(path: "/c", data: [], acl: ACL.openUnsafe, ephemeralOwner: Int64.min, parentCVersion: 2, zxid: 2, time: 0)
        let rebuilt = DataTree(extendedTypes: false, nodes: tree.nodes)
        #expect(rebuilt.ephemerals == [3: ["/e"]] && rebuilt.containers == ["/c"])
        #expect(rebuilt.approximateDataSize == tree.approximateDataSize)
    }

    @Test func containerAndTTLCreatesAndTheirDeletionAreChecked() throws {
        var database = ZKDatabase(extendedTypes: true)
        func preparer(extendedTypes: Bool = true) -> RequestPreparer {
            RequestPreparer(tree: database.tree, requester: Requester(sessionId: session, ids: []), extendedTypes: extendedTypes)
        }
        let container = try preparer().create(CreateRequest(path: "/c", flags: CreateMode.container.rawValue), op: .createContainer)
        #expect(container == .create(path: "/c", data: [], acl: ACL.openUnsafe, ephemeralOwner: Int64.min, parentCVersion: 1))
        database.next(container)
        let ttl = try preparer().create(
            CreateRequest(path: "/t-", flags: CreateMode.persistentSequentialWithTTL.rawValue, ttl: 5000), op: .createTTL)
        #expect(ttl == .create(path: "/t-0000000001", data: [], acl: ACL.openUnsafe, ephemeralOwner: NodeKind.ttl(milliseconds: 5000).owner, parentCVersion: 2))
        database.next(ttl)
        #expect(database.tree.containers == ["/c"] && database.tree.ttls == ["/t-0000000001"])

        #expect(throws: ErrorCode.unimplemented) {
            try preparer(extendedTypes: false).create(CreateRequest(path: "/x", flags: CreateMode.persistentWithTTL.rawValue, ttl: 5), op: .createTTL)
        }
        for bad: Int64 in [0, -1, NodeKind.maxTTL + 1] {
            #expect(throws: ErrorCode.badArguments) {
                try preparer().create(CreateRequest(path: "/x", flags: CreateMode.persistentWithTTL.rawValue, ttl: bad), op: .createTTL)
            }
        }
        #expect(throws: ErrorCode.badArguments, "a TTL on a create that is not createTTL") {
            try preparer().create(CreateRequest(path: "/x", flags: CreateMode.persistent.rawValue, ttl: 5), op: .createTTL)
        }
        database.next(zkCreate("/e", owner: session, parentCVersion: 3), session: session)
        #expect(throws: ErrorCode.noChildrenForEphemerals) {
            try preparer().create(CreateRequest(path: "/e/child"), op: .create)
        }

        database.next(zkCreate("/c/item", parentCVersion: 1))
        #expect(throws: ErrorCode.notEmpty) { try preparer().deleteContainer("/c") }
        database.next(.delete(path: "/c/item"))
        #expect(try preparer().deleteContainer("/c") == .delete(path: "/c"))
        #expect(try preparer().deleteContainer("/t-0000000001") == .delete(path: "/t-0000000001"))
        #expect(throws: ErrorCode.badVersion, "an ordinary node is never deleted as a container") { try preparer().deleteContainer("/e") }
        #expect(throws: ErrorCode.noNode) { try preparer().deleteContainer("/missing") }
    }
}
