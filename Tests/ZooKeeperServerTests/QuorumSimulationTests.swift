import Foundation
import Testing

@testable import ZooKeeperServer

/// The replication protocol under a hostile scheduler (see `QuorumSimCluster`): each seed runs
/// a chaos phase (drops, duplicates, delays, reordering, crashes with lost unsynced writes,
/// restarts, partitions, snapshots) with the safety invariants checked at every step, then a
/// calm phase (a majority up and connected, nothing dropped) in which a leader must emerge and
/// a write must commit on every live node within a bounded number of steps.
///
/// `QUORUM_SIM_SEEDS=2000` runs more seeds per ensemble size (default 60; half as many for 7
/// nodes, whose runs are longest);
/// `QUORUM_SIM_FIRST_SEED` moves the range, `QUORUM_SIM_STEPS` lengthens the chaos phase.
@Suite struct QuorumSimulationTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seedCount = environment["QUORUM_SIM_SEEDS"].flatMap(Int.init) ?? 60
    static let firstSeed = environment["QUORUM_SIM_FIRST_SEED"].flatMap(UInt64.init) ?? 1
    static let chaosSteps = environment["QUORUM_SIM_STEPS"].flatMap(Int.init) ?? 3000
    /// How much of a failing run's trace to show (`QUORUM_SIM_TRACE`).
    static let traceLines = environment["QUORUM_SIM_TRACE"].flatMap(Int.init) ?? 60
    /// Steps the calm phase may take to elect a leader and commit a write on every node.
    static let livenessBound = 2000

    @Test(arguments: [3, 5, 7])
    func committedTransactionsAreNeverLostOrReordered(size: Int) {
        var worst = 0
        var committed = 0
        var stale = 0
        var counts: [String: Int] = [:]
        let seeds = size >= 7 ? max(Self.seedCount / 2, 1) : Self.seedCount
        for seed in Self.firstSeed..<Self.firstSeed + UInt64(seeds) {
            let outcome = Self.run(size: size, seed: seed)
            if !outcome.cluster.failures.isEmpty {
                print("quorum simulation, \(size) nodes, seed \(seed) failed: \(outcome.cluster.failures[0])")
                Issue.record(
                    """
                    \(size) nodes, seed \(seed) (replay with QUORUM_SIM_FIRST_SEED=\(seed) QUORUM_SIM_SEEDS=1): \
                    \(outcome.cluster.failures.prefix(3).joined(separator: "; "))
                    \(outcome.cluster.trace.suffix(Self.traceLines).joined(separator: "\n"))
                    """)
                return
            }
            worst = max(worst, outcome.calmSteps)
            committed += outcome.cluster.chosen.count
            stale += outcome.cluster.staleSyncs
            counts.merge(outcome.cluster.counts, uniquingKeysWith: +)
        }
        // The runs must have done real work, not just survived.
        #expect(committed > seeds * 20, "only \(committed) transactions committed in \(seeds) runs")
        print(
            "quorum simulation, \(size) nodes: \(seeds) seeds, \(committed) committed, slowest calm phase \(worst) steps,",
            "\(stale) syncs answered by a deposed leader,", counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
    }

    struct Outcome {
        var cluster: QuorumSimCluster
        var calmSteps: Int
    }

    static func run(size: Int, seed: UInt64) -> Outcome {
        let cluster = QuorumSimCluster(size: size, seed: seed)
        for _ in 0..<chaosSteps {
            chaosStep(cluster)
            cluster.checkStep()
            if !cluster.failures.isEmpty { return Outcome(cluster: cluster, calmSteps: 0) }
        }
        let calmSteps = calm(cluster)
        if cluster.failures.isEmpty { stable(cluster) }
        return Outcome(cluster: cluster, calmSteps: calmSteps)
    }

    static func chaosStep(_ cluster: QuorumSimCluster) {
        cluster.step += 1
        let roll = Double.random(in: 0..<1, using: &cluster.random)
        switch roll {
        case ..<0.30: cluster.deliver()
        case ..<0.55: cluster.pick(cluster.upNodes).map(cluster.tick)
        case ..<0.70: cluster.pick(cluster.upNodes).map(cluster.fsync)
        case ..<0.82: cluster.clientWrite()
        case ..<0.84: cluster.pick(cluster.upNodes).map(cluster.clientSync)
        case ..<0.855: cluster.pick(cluster.upNodes).map(cluster.compact)
        case ..<0.863: cluster.pick(cluster.upNodes).map(cluster.crash)
        case ..<0.89: cluster.pick(cluster.downNodes).map(cluster.restart)
        case ..<0.895: cluster.partitionRandomly()
        case ..<0.91: cluster.heal()
        case ..<0.915: cluster.leaderWritesAloneThenCrashes()
        case ..<0.92: cluster.pick(cluster.upNodes).map(cluster.isolate)
        case ..<0.925:
            // A connection closes while both ends live (the leader's link broke).
            if let id = cluster.pick(cluster.upNodes), let lost = cluster.pick(cluster.ids.filter { $0 != id }) { cluster.lose(lost, at: id) }
        default: cluster.deliver()
        }
    }

    /// A stable majority, connected and reliable (in half the runs a random minority stays
    /// down): returns the steps taken until a write proposed after a leader emerged was
    /// applied on every node that is up, or records a failure past the bound.
    static func calm(_ cluster: QuorumSimCluster) -> Int {
        cluster.heal()
        var down: Set<PeerID> = []
        if cluster.chance(0.5) {
            let minority = Int.random(in: 1...(cluster.ids.count - 1) / 2, using: &cluster.random)
            down = Set(cluster.ids.shuffled(using: &cluster.random).prefix(minority))
        }
        for id in cluster.ids {
            if down.contains(id) { cluster.crash(id) } else { cluster.restart(id) }
        }
        cluster.dropRate = 0
        cluster.duplicateRate = 0
        cluster.longDelayRate = 0
        var probe: QuorumEntry?
        for taken in 1...livenessBound {
            cluster.step += 1
            let roll = Double.random(in: 0..<1, using: &cluster.random)
            switch roll {
            case ..<0.4: cluster.deliver()
            case ..<0.8: cluster.pick(cluster.upNodes).map(cluster.tick)
            default: cluster.pick(cluster.upNodes).map(cluster.fsync)
            }
            cluster.checkStep()
            if !cluster.failures.isEmpty { return taken }
            // A client retries a write its leader lost with its leadership (a stray vote from
            // the chaos phase may still depose one).
            let leader = cluster.upNodes.compactMap { cluster.nodes[$0]?.peer }.first { $0.role == .leading(established: true) }
            if let leader, probe.map({ $0.zxid.epoch < leader.epoch }) ?? true {
                let before = cluster.nextPayload
                cluster.clientWrite()
                if cluster.nextPayload != before { probe = latestProposal(cluster) }
            }
            if let probe, cluster.upNodes.allSatisfy({ cluster.nodes[$0]?.applied.last { $0.zxid == probe.zxid } == probe }) {
                return taken
            }
        }
        cluster.fail("no write committed on every node within \(livenessBound) calm steps (probe \(probe?.zxid.description ?? "never proposed"))")
        return livenessBound
    }

    /// Once a write has committed: more writes, and client `sync`s at any live node, each of
    /// which must complete having applied everything committed before it was asked.
    static func stable(_ cluster: QuorumSimCluster) {
        cluster.strictSyncs = true
        // 400 steps of traffic, then up to 1000 (random fsyncs and ticks can be slow) for the
        // last syncs to complete.
        for step in 0..<1400 {
            cluster.step += 1
            let issuing = step < 400
            if !issuing && !cluster.syncs.values.contains(where: \.strict) { break }
            let roll = Double.random(in: 0..<1, using: &cluster.random)
            switch roll {
            case ..<0.35: cluster.deliver()
            case ..<0.7: cluster.pick(cluster.upNodes).map(cluster.tick)
            case ..<0.85: cluster.pick(cluster.upNodes).map(cluster.fsync)
            case ..<0.93: if issuing { cluster.clientWrite() }
            default: if issuing { cluster.pick(cluster.upNodes).map(cluster.clientSync) }
            }
            cluster.checkStep()
            if !cluster.failures.isEmpty { return }
        }
        let pending = cluster.syncs.filter { $0.value.strict }.count
        if pending > 0 {
            let states = cluster.upNodes.compactMap { id in
                cluster.nodes[id]?.peer.map { "\(id): \($0.role) e\($0.epoch) commit \($0.commitZxid) last \($0.log.lastZxid)" }
            }
            cluster.fail("\(pending) client syncs never completed while the ensemble was stable (\(states.joined(separator: "; ")))")
        }
        cluster.counts["stable phases", default: 0] += 1
    }

    /// The zxid the established leader gave its last proposal.
    static func latestProposal(_ cluster: QuorumSimCluster) -> QuorumEntry? {
        cluster.upNodes.compactMap { cluster.nodes[$0]?.peer }.first { $0.role == .leading(established: true) }?.log.entries.last
    }
}
