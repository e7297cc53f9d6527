import Testing

@testable import ZooKeeperServer

/// Three quorum nodes on loopback TCP: they elect a leader over `QuorumTransport` and
/// replicate writes submitted through the leader's `QuorumCommitter`.
@Suite struct QuorumTransportTests {
    typealias Shared = QuorumCommitterTests.Shared

    @Test func threeNodesOnLoopbackElectALeaderAndReplicateWrites() async throws {
        let ids: [PeerID] = [1, 2, 3]
        var transports: [PeerID: QuorumTransport] = [:]
        for id in ids { transports[id] = try QuorumTransport(id: id, host: "127.0.0.1", port: 0) }
        let addresses = transports.mapValues { (host: "127.0.0.1", port: $0.port) }
        let timing = QuorumTiming(heartbeatTicks: 2, electionTicks: 40...80, leaseTicks: 60)
        let lost = Shared<[String]>([])
        var nodes: [PeerID: QuorumNode] = [:]
        var committers: [PeerID: QuorumCommitter] = [:]
        var applied: [PeerID: Shared<[Txn]>] = [:]
        for id in ids {
            guard let transport = transports[id] else { continue }
            transport.connect(to: addresses)
            let peer = QuorumPeer(id: id, members: ids, timing: timing, persistent: QuorumPersistentState(), snapshot: nil, log: [], seed: UInt64(id))
            let node = QuorumNode(peer: peer, store: QuorumCommitterTests.MemoryStore()) { to, frame in transport.send(to: to, frame: frame) }
            transport.deliver { from, body in node.receive(body: body, from: from) }
            let got = Shared<[Txn]>([])
            committers[id] = QuorumCommitter(
                node: node, apply: { txns in got.update { $0 += txns } }, onLostLeadership: { reason in lost.update { $0.append("\(id): \(reason)") } })
            nodes[id] = node
            applied[id] = got
        }
        for node in nodes.values { node.start(tickEvery: .milliseconds(5)) }

        var leaderID: PeerID?
        #expect(
            await QuorumCommitterTests.waitUntil {
                leaderID = ids.first { id in nodes[id].map { node in node.queue.sync { node.role } } == .leading(established: true) }
                return leaderID != nil
            })
        let leader = try #require(leaderID)
        let node = try #require(nodes[leader])
        let committer = try #require(committers[leader])

        let released = Shared<Int>(0)
        var submitted: [Txn] = []
        for batch in 0..<5 {
            let next = try #require(node.queue.sync { node.nextProposalZxid })
            let txns = (0..<3).map { zkTxn(next.value + Int64($0), .setData(path: "/t", data: [UInt8(batch)], version: Int32(batch))) }
            submitted += txns
            committer.submit(txns, effects: [.run { released.update { $0 += 1 } }])
            node.queue.sync {}
        }
        #expect(await QuorumCommitterTests.waitUntil { released.value == 5 })
        for id in ids where id != leader {
            let got = try #require(applied[id])
            #expect(await QuorumCommitterTests.waitUntil { got.value == submitted }, "follower \(id) over TCP")
        }
        #expect(lost.value.isEmpty)

        for node in nodes.values { node.stop() }
        for transport in transports.values { await transport.shutdown() }
    }
}
