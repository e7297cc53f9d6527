import Foundation
import Testing

@testable import ZooKeeperServer

/// Quorum nodes over `QuorumFileStore` on real directories: snapshots compact the log and are
/// purged by `snapRetainCount`, and an ensemble restarted from its directories holds
/// everything it committed.
@Suite struct QuorumFileStoreClusterTests {
    typealias Shared = QuorumCommitterTests.Shared
    static let timing = QuorumTiming(heartbeatTicks: 2, electionTicks: 40...80, leaseTicks: 60)

    /// One node over its directories, under a committer that snapshots.
    struct Member {
        var node: QuorumNode
        var store: QuorumFileStore
        var committer: QuorumCommitter
        /// The state the host would hold: the recovered snapshot's, plus what was applied.
        var state: Shared<ZKDatabase>

        init(
            id: PeerID, members: [PeerID], dir: ZKTempDir, retain: Int = 3, timing: QuorumTiming = QuorumFileStoreClusterTests.timing,
            forceSync: Bool = true, lost: Shared<[String]>, send: @escaping @Sendable (PeerID, [UInt8]) -> Void
        ) throws {
            let (store, contents) = try QuorumFileStoreTests.open(dir, forceSync: forceSync)
            let peer = QuorumPeer(
                id: id, members: members, timing: timing, persistent: contents.persistent,
                snapshot: contents.snapshot, log: contents.entries, seed: UInt64(id))
            let node = QuorumNode(peer: peer, store: store, transport: send)
            let state = Shared(contents.database)
            let committer = QuorumCommitter(
                node: node, apply: { txns in state.update { for txn in txns { $0.apply(txn) } } },
                onLostLeadership: { reason in lost.update { $0.append("\(id): \(reason)") } })
            committer.enableSnapshots(QuorumCheckpointer(store: store, retain: retain, report: { _ in }))
            self.node = node
            self.store = store
            self.committer = committer
            self.state = state
        }

        var isEstablishedLeader: Bool { node.queue.sync { node.role } == .leading(established: true) }

        /// Leader: decides `count` creates as its processor would (applied at once), submits
        /// them and returns the zxid of the last.
        func write(_ count: Int, released: Shared<Int>) throws -> Int64 {
            let next = try #require(node.queue.sync { node.nextProposalZxid })
            var txns: [Txn] = []
            var database = state.value
            for index in 0..<count {
                let path = "/n\(next.value)-\(index)"
                let txn = zkTxn(next.value + Int64(index), zkCreate(path, parentCVersion: database.tree.nodes["/"].map { $0.cversion + 1 } ?? 1))
                database.apply(txn)
                txns.append(txn)
            }
            state.update { [database] in $0 = database }
            committer.submit(txns, effects: [.run { released.update { $0 += 1 } }])
            node.queue.sync {}
            return next.value + Int64(count - 1)
        }
    }

    /// A valid snapshot file's bytes (of a small database), written under `dir`.
    static func snapshotBytes(_ dir: ZKTempDir) throws -> [UInt8] {
        var database = ZKDatabase(extendedTypes: false)
        database.next(zkCreate("/s", "snapshot", parentCVersion: 1))
        return dir.bytes(try SnapshotFile.write(database, to: dir.path + "/source"))
    }

    /// Starts member `id` over its directory, wired in-process to the others.
    static func start(
        _ id: PeerID, of ids: [PeerID], dirs: [PeerID: ZKTempDir], timing: QuorumTiming = timing, wires: QuorumCommitterTests.Wires,
        lost: Shared<[String]>
    ) throws -> Member {
        let dir = try #require(dirs[id])
        let member = try Member(id: id, members: ids, dir: dir, timing: timing, lost: lost) { to, frame in wires.send(from: id, to: to, frame: frame) }
        wires.nodes.withLock { $0[id] = member.node }
        member.node.start(tickEvery: .milliseconds(5))
        return member
    }

    /// The established leader among `members`, once there is one.
    static func leader(of members: [Member]) async throws -> Member {
        var found: Member?
        #expect(await QuorumCommitterTests.waitUntil {
            found = members.first { $0.isEstablishedLeader }
            return found != nil
        })
        return try #require(found)
    }

    static func snapshotZxids(_ dir: ZKTempDir) -> [Int64] {
        StorageFiles.list(dir.snapshots, prefix: "snapshot.").map(\.zxid)
    }

    @Test func checkpointsSnapshotCommittedStateCompactTheLogAndPurgeByRetainCount() async throws {
        let dir = ZKTempDir("quorum-checkpoint")
        defer { dir.remove() }
        let lost = Shared<[String]>([])
        let member = try Member(id: 1, members: [1], dir: dir, lost: lost) { _, _ in }
        member.node.start(tickEvery: .milliseconds(5))
        #expect(await QuorumCommitterTests.waitUntil { member.isEstablishedLeader })

        let released = Shared<Int>(0)
        var snapshotted: [Int64] = []
        for round in 1...5 {
            let last = try member.write(4, released: released)
            // The image is ahead of the commit when it is offered: the snapshot waits for it.
            member.committer.checkpoint(member.state.value)
            #expect(await QuorumCommitterTests.waitUntil { Self.snapshotZxids(dir).last == last }, "round \(round)")
            snapshotted.append(last)
        }
        // Purge keeps the newest three snapshots and the logs from the oldest of them on.
        #expect(await QuorumCommitterTests.waitUntil { Self.snapshotZxids(dir) == Array(snapshotted.suffix(3)) })
        let logs = StorageFiles.list(dir.logs, prefix: "log.").map(\.zxid)
        #expect(logs.first.map { $0 <= snapshotted[2] + 1 } == true && logs.count < 5, "logs \(logs)")

        // An image whose zxid the log does not hold never becomes a snapshot.
        var stray = member.state.value
        stray.apply(zkTxn(snapshotted[4] + 1_000, .createSession(timeout: 30_000), session: 9))
        member.committer.checkpoint(stray)
        let more = try member.write(2, released: released)
        #expect(await QuorumCommitterTests.waitUntil { released.value == 6 })
        #expect(Self.snapshotZxids(dir).last == snapshotted[4])
        member.node.stop()
        #expect(lost.value.isEmpty)

        // A restart starts from the newest snapshot and the entries after it.
        let (_, contents) = try QuorumFileStoreTests.open(dir)
        #expect(contents.snapshot?.zxid == Zxid(value: snapshotted[4]))
        #expect(contents.entries.map(\.zxid.value) == [more - 1, more])
        #expect(contents.database.tree.nodes.count == ZKDatabase(extendedTypes: false).tree.nodes.count + 5 * 4)
    }

    /// Also with `forceSync=no`: writes commit without an fsync, and a clean stop keeps them.
    @Test(arguments: [true, false])
    func threeNodesOnLoopbackOnRealDirectoriesRestartWithEverythingCommitted(forceSync: Bool) async throws {
        let ids: [PeerID] = [1, 2, 3]
        let dirs = Dictionary(uniqueKeysWithValues: ids.map { ($0, ZKTempDir("quorum-tcp-\($0)")) })
        defer { for dir in dirs.values { dir.remove() } }
        let lost = Shared<[String]>([])

        /// Starts the ensemble from the directories; returns it with its transports.
        func start() throws -> (members: [PeerID: Member], transports: [PeerID: QuorumTransport]) {
            var transports: [PeerID: QuorumTransport] = [:]
            for id in ids { transports[id] = try QuorumTransport(id: id, host: "127.0.0.1", quorumPort: 0, electionPort: 0) }
            let addresses = transports.mapValues { QuorumAddress(host: "127.0.0.1", quorumPort: $0.port(.quorum), electionPort: $0.port(.election)) }
            var members: [PeerID: Member] = [:]
            for id in ids {
                guard let transport = transports[id], let dir = dirs[id] else { continue }
                transport.connect(to: addresses)
                let member = try Member(id: id, members: ids, dir: dir, forceSync: forceSync, lost: lost) { to, frame in
                    transport.send(to: to, frame: frame)
                }
                transport.deliver { from, body in member.node.receive(body: body, from: from) }
                members[id] = member
            }
            for member in members.values { member.node.start(tickEvery: .milliseconds(5)) }
            return (members, transports)
        }
        func leader(of members: [PeerID: Member]) async throws -> Member {
            try await Self.leader(of: ids.compactMap { members[$0] })
        }
        func stop(_ members: [PeerID: Member], _ transports: [PeerID: QuorumTransport]) async {
            for member in members.values { member.node.stop() }
            for transport in transports.values { await transport.shutdown() }
        }

        // First run: writes, a snapshot on the leader halfway, more writes.
        var (members, transports) = try start()
        var chief = try await leader(of: members)
        let released = Shared<Int>(0)
        var last: Int64 = 0
        for batch in 0..<6 {
            last = try chief.write(3, released: released)
            if batch == 2 { chief.committer.checkpoint(chief.state.value) }
        }
        #expect(await QuorumCommitterTests.waitUntil { released.value == 6 })
        for member in members.values {
            #expect(await QuorumCommitterTests.waitUntil { member.state.value.lastZxid == last }, "a member did not apply everything")
        }
        let expected = chief.state.value
        // The snapshot is written in the background: wait for it before stopping.
        let chiefDir = try #require(dirs.values.first { $0.path + "/data" == chief.store.dataDirectory })
        #expect(await QuorumCommitterTests.waitUntil { Self.snapshotZxids(chiefDir).count == 1 })
        await stop(members, transports)
        #expect(Self.snapshotZxids(chiefDir).count == 1)

        // Second run, from the directories: every member starts from what it held, and the
        // first write of the new leader reaches all of them on top of the whole history.
        (members, transports) = try start()
        chief = try await leader(of: members)
        last = try chief.write(1, released: released)
        #expect(await QuorumCommitterTests.waitUntil { released.value == 7 })
        for (id, member) in members {
            #expect(await QuorumCommitterTests.waitUntil { member.state.value.lastZxid == last }, "member \(id) after the restart")
            // The first run's state, and the new write.
            let state = member.state.value
            #expect(state.tree.nodes.count == expected.tree.nodes.count + 1, "member \(id)")
            #expect(expected.tree.nodes.keys.allSatisfy { state.tree.nodes[$0] != nil }, "member \(id)")
        }
        await stop(members, transports)
        #expect(lost.value.isEmpty, "\(lost.value)")
    }

    @Test func aMemberThatMissedACompactedHistoryGetsTheSnapshotAndKeepsIt() async throws {
        let ids: [PeerID] = [1, 2, 3]
        let dirs = Dictionary(uniqueKeysWithValues: ids.map { ($0, ZKTempDir("quorum-snap-\($0)")) })
        defer { for dir in dirs.values { dir.remove() } }
        let lost = Shared<[String]>([])
        let wires = QuorumCommitterTests.Wires()
        func start(_ id: PeerID) throws -> Member { try Self.start(id, of: ids, dirs: dirs, wires: wires, lost: lost) }
        // Two of three elect a leader and commit; the leader snapshots and compacts its log.
        var members = [try start(1), try start(2)]
        let chief = try await Self.leader(of: members)
        let released = Shared<Int>(0)
        let snapped = try chief.write(5, released: released)
        chief.committer.checkpoint(chief.state.value)
        let chiefDir = try #require(dirs.values.first { $0.path + "/data" == chief.store.dataDirectory })
        #expect(await QuorumCommitterTests.waitUntil { Self.snapshotZxids(chiefDir) == [snapped] })
        // Let the compaction land on the leader's queue before the third member asks.
        #expect(await QuorumCommitterTests.waitUntil { released.value == 1 })
        try await Task.sleep(for: .milliseconds(50))
        // The leader keeps the snapshot's zxid, not its bytes: the SNAP below reads the file.
        #expect(chief.node.queue.sync { chief.node.snapshotBytesInMemory } == 0)

        // The third starts empty: the entries it lacks are gone from the leader's log.
        let late = try start(3)
        members.append(late)
        let last = try chief.write(2, released: released)
        #expect(await QuorumCommitterTests.waitUntil { late.state.value.lastZxid == last })
        let lateDir = try #require(dirs[3])
        #expect(Self.snapshotZxids(lateDir) == [snapped], "the snapshot is stored as the leader sent it")
        #expect(late.node.queue.sync { late.node.snapshotBytesInMemory } == 0, "the installed snapshot's bytes stay in its file")
        for member in members { member.node.stop() }
        #expect(lost.value.isEmpty, "\(lost.value)")

        // It restarts from that snapshot and the entries after it.
        let (_, contents) = try QuorumFileStoreTests.open(lateDir)
        #expect(contents.snapshot?.zxid == Zxid(value: snapped))
        #expect(contents.entries.map(\.zxid.value) == [last - 1, last])
        zkExpectSameState(contents.database, try SnapshotFile.read(chiefDir.snapshots + "/" + StorageFiles.snapshotName(snapped), extendedTypes: false))
    }

    /// The leader keeps only the newest two payloads in memory: a member that starts empty
    /// gets a DIFF of the whole history, its older payloads read back from the log files.
    @Test func aLateMemberGetsADiffWhosePayloadsTheLeaderReadsFromItsLogFiles() async throws {
        let ids: [PeerID] = [1, 2, 3]
        let dirs = Dictionary(uniqueKeysWithValues: ids.map { ($0, ZKTempDir("quorum-diff-\($0)")) })
        defer { for dir in dirs.values { dir.remove() } }
        let lost = Shared<[String]>([])
        let wires = QuorumCommitterTests.Wires()
        var timing = Self.timing
        timing.entriesInMemory = 2
        func start(_ id: PeerID) throws -> Member { try Self.start(id, of: ids, dirs: dirs, timing: timing, wires: wires, lost: lost) }
        var members = [try start(1), try start(2)]
        let chief = try await Self.leader(of: members)
        let released = Shared<Int>(0)
        for _ in 0..<4 { _ = try chief.write(3, released: released) }
        #expect(await QuorumCommitterTests.waitUntil { released.value == 4 })
        // Committed and durable on the leader: all but the newest two payloads let go.
        let trimmed = chief.node.queue.sync { chief.node.trimmedEntries }
        #expect(trimmed >= 8, "only \(trimmed) of 12 payloads trimmed")

        let late = try start(3)
        members.append(late)
        let last = try chief.write(1, released: released)
        #expect(await QuorumCommitterTests.waitUntil { late.state.value.lastZxid == last })
        zkExpectSameState(late.state.value, chief.state.value)
        let lateDir = try #require(dirs[3])
        #expect(Self.snapshotZxids(lateDir).isEmpty, "a DIFF, not a SNAP")
        for member in members { member.node.stop() }
        #expect(lost.value.isEmpty, "\(lost.value)")
    }
}
