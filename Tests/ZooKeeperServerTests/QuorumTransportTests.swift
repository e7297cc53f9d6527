import Network
import Testing

@testable import ZooKeeperServer

/// Quorum nodes on loopback TCP: they elect a leader over `QuorumTransport` (votes on the
/// election port) and replicate writes submitted through the leader's `QuorumCommitter` (on
/// the quorum port); a listener refuses the other port's messages.
@Suite struct QuorumTransportTests {
    typealias Shared = QuorumCommitterTests.Shared

    @Test func threeNodesOnLoopbackElectALeaderAndReplicateWrites() async throws {
        let ids: [PeerID] = [1, 2, 3]
        var transports: [PeerID: QuorumTransport] = [:]
        for id in ids { transports[id] = try QuorumTransport(id: id, host: "127.0.0.1", quorumPort: 0, electionPort: 0) }
        let addresses = transports.mapValues { QuorumAddress(host: "127.0.0.1", quorumPort: $0.port(.quorum), electionPort: $0.port(.election)) }
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
        // Every member took votes on its election port and the rest on its quorum port, and
        // no message came in on the wrong one.
        for (id, transport) in transports {
            let election = transport.received(on: .election)
            let quorum = transport.received(on: .quorum)
            #expect(election.delivered > 0 && quorum.delivered > 0, "member \(id): \(election) \(quorum)")
            #expect(election.refused == 0 && quorum.refused == 0, "member \(id)")
        }

        for node in nodes.values { node.stop() }
        for transport in transports.values { await transport.shutdown() }
    }

    /// A vote on the quorum port, or a proposal on the election port, closes that connection
    /// undelivered; each is delivered on its own port.
    @Test func votesArriveOnlyOnTheElectionPortAndProposalsOnlyOnTheQuorumPort() async throws {
        let transport = try QuorumTransport(id: 1, host: "127.0.0.1", quorumPort: 0, electionPort: 0)
        let delivered = Shared<[QuorumMessage]>([])
        transport.deliver { _, body in
            if case .message(let message)? = try? QuorumCodec.decode(body: body[...]) { delivered.update { $0.append(message) } }
        }
        let hello = Array(QuorumCodec.encode(.hello(from: 2)).dropFirst(4))
        let vote = QuorumMessage.voteRequest(epoch: 1, lastEpoch: 0, lastZxid: Zxid(value: 0))
        let heartbeat = QuorumMessage.propose(epoch: 1, prevZxid: Zxid(value: 0), entries: [], commitZxid: Zxid(value: 0))
        for (message, wrong) in [(vote, QuorumChannel.quorum), (heartbeat, .election)] {
            let connection = try await FrameConnection.connect(host: "127.0.0.1", port: transport.port(wrong), timeout: .seconds(2))
            try await connection.sendOneWay(hello)
            try await connection.sendOneWay(Array(QuorumCodec.encode(.message(message)).dropFirst(4)))
            #expect(await QuorumCommitterTests.waitUntil { transport.received(on: wrong).refused == 1 })
            connection.close()
        }
        for (message, right) in [(vote, QuorumChannel.election), (heartbeat, .quorum)] {
            let connection = try await FrameConnection.connect(host: "127.0.0.1", port: transport.port(right), timeout: .seconds(2))
            try await connection.sendOneWay(hello)
            try await connection.sendOneWay(Array(QuorumCodec.encode(.message(message)).dropFirst(4)))
            #expect(await QuorumCommitterTests.waitUntil { transport.received(on: right).delivered == 1 })
            connection.close()
        }
        #expect(delivered.value == [vote, heartbeat])
        #expect(QuorumCodec.channel(ofBody: QuorumCodec.encode(.message(vote)).dropFirst(4)) == vote.channel)
        await transport.shutdown()
    }
}
