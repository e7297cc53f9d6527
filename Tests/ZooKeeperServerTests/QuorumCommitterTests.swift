import Dispatch
import Synchronization
import Testing

@testable import ZooKeeperServer

/// Three `QuorumNode`s on real queues and timers, talking through an in-memory transport in
/// encoded frames, each under a `QuorumCommitter`: what the request processor would see.
@Suite struct QuorumCommitterTests {
    /// A disk in memory; `durable` is what survived the last `sync`.
    final class MemoryStore: QuorumStore, Sendable {
        struct Contents {
            var written: [QuorumEntry] = []
            var durableCount = 0
            var state = QuorumPersistentState()
        }
        let contents = Mutex(Contents())
        /// While set, an fsync waits (on the node's sync queue) until `releaseSyncs`.
        let syncsHeld = Mutex(false)
        private let syncGate = DispatchSemaphore(value: 0)

        func holdSyncs() { syncsHeld.withLock { $0 = true } }
        func releaseSyncs() {
            syncsHeld.withLock { $0 = false }
            for _ in 0..<8 { syncGate.signal() }
        }
        func writes(_ zxid: Zxid) -> Bool { contents.withLock { $0.written.contains { $0.zxid == zxid } } }

        func durablyHolds(_ zxid: Zxid) -> Bool {
            contents.withLock { $0.written.prefix($0.durableCount).contains { $0.zxid == zxid } }
        }
        func append(_ entries: [QuorumEntry]) throws { contents.withLock { $0.written += entries } }
        func sync() throws { contents.withLock { $0.durableCount = $0.written.count } }
        func syncer() -> (@Sendable () throws -> Void)? {
            let count = contents.withLock { $0.written.count }
            return {
                if self.syncsHeld.withLock({ $0 }) { self.syncGate.wait() }
                self.contents.withLock { $0.durableCount = max($0.durableCount, min(count, $0.written.count)) }
            }
        }
        func payloads(after: Zxid, through: Zxid) throws -> [QuorumEntry]? {
            contents.withLock { $0.written.prefix($0.durableCount).filter { $0.zxid > after && $0.zxid <= through } }
        }
        func truncate(after zxid: Zxid) throws {
            contents.withLock {
                $0.written.removeAll { $0.zxid > zxid }
                $0.durableCount = min($0.durableCount, $0.written.count)
            }
        }
        func install(_ snapshot: QuorumSnapshot) throws { contents.withLock { $0 = Contents(state: $0.state) } }
        func persist(_ state: QuorumPersistentState) throws { contents.withLock { $0.state = state } }
    }

    /// Frames go straight to the addressee's node, length prefix checked and stripped.
    final class Wires: Sendable {
        let nodes = Mutex<[PeerID: QuorumNode]>([:])

        func send(from: PeerID, to: PeerID, frame: [UInt8]) {
            guard frame.count >= 4, let node = nodes.withLock({ $0[to] }) else { return }
            let prefix = frame.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard (try? QuorumCodec.bodyLength(prefix: prefix)) == frame.count - 4 else { return }
            node.receive(body: Array(frame.dropFirst(4)), from: from)
        }
    }

    /// A value shared with the nodes' queues.
    final class Shared<Value: Sendable>: Sendable {
        private let mutex: Mutex<Value>
        init(_ value: Value) { mutex = Mutex(value) }
        var value: Value { mutex.withLock { $0 } }
        func update(_ body: @Sendable (inout Value) -> Void) { mutex.withLock { body(&$0) } }
    }

    struct Member {
        var node: QuorumNode
        var store: MemoryStore
        var committer: QuorumCommitter
        var applied: Shared<[Txn]>
    }

    static func waitUntil(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    /// Three members on a 5 ms tick (generous for a loaded machine: elections after 0.2–0.4 s
    /// of silence), started; `lost` collects leadership losses.
    static func startCluster(lost: Shared<[String]>) -> [PeerID: Member] {
        let ids: [PeerID] = [1, 2, 3]
        let wires = Wires()
        let timing = QuorumTiming(heartbeatTicks: 2, electionTicks: 40...80, leaseTicks: 40)
        var members: [PeerID: Member] = [:]
        for id in ids {
            let store = MemoryStore()
            let peer = QuorumPeer(id: id, members: ids, timing: timing, persistent: QuorumPersistentState(), snapshot: nil, log: [], seed: UInt64(id))
            let node = QuorumNode(peer: peer, store: store) { to, frame in wires.send(from: id, to: to, frame: frame) }
            let applied = Shared<[Txn]>([])
            let committer = QuorumCommitter(
                node: node, apply: { txns in applied.update { $0 += txns } },
                onLostLeadership: { reason in lost.update { $0.append("node \(id): \(reason)") } })
            wires.nodes.withLock { $0[id] = node }
            members[id] = Member(node: node, store: store, committer: committer, applied: applied)
        }
        for id in ids { members[id]?.node.start(tickEvery: .milliseconds(5)) }
        return members
    }

    static func establishedLeader(of members: [PeerID: Member]) async -> Member? {
        var leader: Member?
        _ = await waitUntil {
            leader = members.values.first { member in member.node.queue.sync { member.node.role } == .leading(established: true) }
            return leader != nil
        }
        return leader
    }

    @Test func writesCommitOnAMajorityThenReleaseTheirEffectsInOrderAndFollowersApplyThem() async throws {
        let lost = Shared<[String]>([])
        let members = Self.startCluster(lost: lost)
        let ids = members.keys.sorted()
        defer { for member in members.values { member.node.stop() } }
        let chief = try #require(await Self.establishedLeader(of: members))

        // Ten batches of two writes, numbered as the leader will number them.
        let released = Shared<[(batch: Int, copies: Int)]>([])
        var submitted: [Txn] = []
        let stores = ids.compactMap { members[$0]?.store }
        for batch in 0..<10 {
            let next = try #require(chief.node.queue.sync { chief.node.nextProposalZxid })
            let txns = (0..<2).map { zkTxn(next.value + Int64($0), .setData(path: "/a", data: [UInt8(batch)], version: Int32(batch))) }
            submitted += txns
            let last = Zxid(value: txns[1].zxid)
            chief.committer.submit(
                txns,
                effects: [
                    .run {
                        let copies = stores.filter { $0.durablyHolds(last) }.count
                        released.update { $0.append((batch: batch, copies: copies)) }
                    }
                ])
            // Let the leader take this batch before asking for the next zxid.
            chief.node.queue.sync {}
        }

        #expect(await Self.waitUntil { released.value.count == 10 })
        let order = released.value
        #expect(order.map(\.batch) == Array(0..<10))
        #expect(order.allSatisfy { $0.copies >= 2 }, "an effect ran before its writes were durable on a majority: \(order)")
        for id in ids where members[id]?.node !== chief.node {
            let applied = try #require(members[id]?.applied)
            #expect(await Self.waitUntil { applied.value == submitted }, "follower \(id) applied something else")
        }
        #expect(chief.applied.value.isEmpty, "the leader applies its own writes when it decides them")
        #expect(lost.value.isEmpty)
    }

    /// A follower applies only what committed, so its replies need not wait for the proposals
    /// in its log: `release` runs at once while a write is stuck uncommitted (the leader's fsync
    /// held), where `submit` waits for it.
    /// A release made from under the node's queue runs at once (a follower's reply leaves
    /// ahead of what its commit queued), but never ahead of a submit or release still queued.
    @Test func aReleaseFromUnderTheQueueRunsAtOnceButNotPastQueuedCalls() async throws {
        let lost = Shared<[String]>([])
        let members = Self.startCluster(lost: lost)
        defer { for member in members.values { member.node.stop() } }
        let chief = try #require(await Self.establishedLeader(of: members))
        let follower = try #require(members.values.first { $0.node !== chief.node })

        let ran = Shared<[String]>([])
        let order: [String] = follower.node.queue.sync {
            follower.committer.release([.run { ran.update { $0.append("at once") } }])
            let atOnce = ran.value
            follower.committer.submit([], effects: [.run { ran.update { $0.append("submitted") } }])
            follower.committer.release([.run { ran.update { $0.append("released behind it") } }])
            return atOnce
        }
        #expect(order == ["at once"])
        #expect(await Self.waitUntil { ran.value == ["at once", "submitted", "released behind it"] })
        #expect(lost.value.isEmpty)
    }

    @Test func aFollowersReleasedEffectsRunWhileAWriteInItsLogIsUncommitted() async throws {
        let lost = Shared<[String]>([])
        let members = Self.startCluster(lost: lost)
        defer { for member in members.values { member.node.stop() } }
        let chief = try #require(await Self.establishedLeader(of: members))
        let follower = try #require(members.values.first { $0.node !== chief.node })

        chief.store.holdSyncs()
        let zxid = try #require(chief.node.queue.sync { chief.node.nextProposalZxid })
        chief.committer.submit([zkTxn(zxid.value, .setData(path: "/a", data: [1], version: 0))], effects: [])
        #expect(await Self.waitUntil { follower.store.writes(zxid) && follower.store.durablyHolds(zxid) })

        let ran = Shared<[String]>([])
        follower.committer.release([.run { ran.update { $0.append("released") } }])
        #expect(await Self.waitUntil { ran.value == ["released"] })
        #expect(follower.applied.value.isEmpty, "the write committed without the leader's fsync")
        // Behind an effect that waits, a released one waits its turn.
        follower.committer.submit([], effects: [.run { ran.update { $0.append("submitted") } }])
        follower.committer.release([.run { ran.update { $0.append("released after") } }])
        try await Task.sleep(for: .milliseconds(200))
        #expect(ran.value == ["released"], "submit's effect ran before the write in the follower's log committed")

        chief.store.releaseSyncs()
        #expect(await Self.waitUntil { ran.value == ["released", "submitted", "released after"] })
        #expect(await Self.waitUntil { follower.applied.value.map(\.zxid) == [zxid.value] })
        #expect(lost.value.isEmpty)
    }
}
