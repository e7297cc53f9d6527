@testable import ZooKeeperServer

/// The ensemble the simulation tests drive: `QuorumPeer`s wired to a simulated network and
/// simulated disks, every step chosen by one seeded generator, so a failing run replays
/// from its seed.
///
/// - **Network**: a message may be dropped or duplicated when sent, waits a random number of
///   steps, and is then delivered in random order among those ready (reordering). A
///   partition drops messages between groups at delivery.
/// - **Disk**: appends sit in a buffer until the node's next fsync step; a crash loses the
///   buffer and all memory, keeping the durable log, the snapshot and the persisted epochs.
///   Truncation, snapshot installation and `persist` are durable at once, as the effect
///   contract says.
/// - **Host**: applies committed entries to a list (the "database"); a snapshot is that list
///   encoded.
///
/// Invariants are checked as effects happen and after every step (`checkStep`): every node
/// applies exactly the committed sequence (`apply`), which holds each epoch's proposals
/// without gaps; one leader per epoch, holding every committed and acknowledged write
/// (`checkNewLeader`); nothing is cut below what was applied, and no snapshot goes back; each
/// peer never counts on more than its disk holds (`checkStep`).
final class QuorumSimCluster {
    struct Disk {
        var persistent = QuorumPersistentState()
        var snapshot: QuorumSnapshot?
        var durable: [QuorumEntry] = []
        var buffered: [QuorumEntry] = []
        var lastWrite: UInt64 = 0
        var lastZxid: Zxid { buffered.last?.zxid ?? durable.last?.zxid ?? snapshot?.zxid ?? .zero }
        var durableZxid: Zxid { durable.last?.zxid ?? snapshot?.zxid ?? .zero }
    }

    struct Node {
        var peer: QuorumPeer?
        var disk = Disk()
        /// The host's state: every committed entry applied, in order, from the beginning.
        var applied: [QuorumEntry] = []
    }

    struct InFlight {
        var from: PeerID
        var to: PeerID
        var message: QuorumMessage
        var readyAt: Int
    }

    let ids: [PeerID]
    /// Few payloads kept in memory, so DIFFs often read trimmed ones back from the disk.
    let timing = QuorumTiming(heartbeatTicks: 1, electionTicks: 10...20, leaseTicks: 8, entriesInMemory: 3)
    var random: QuorumRandom
    var nodes: [PeerID: Node] = [:]
    var network: [InFlight] = []
    /// Group per node while partitioned; messages between different groups are lost.
    var partition: [PeerID: Int] = [:]
    var dropRate = 0.1
    var duplicateRate = 0.05
    var maxDelay = 6
    var longDelayRate = 0.02
    var step = 0

    /// The committed sequence, as first applied anywhere; every node must apply exactly it.
    var chosen: [QuorumEntry] = []
    /// Writes a leader applied (where it would answer the client).
    var acknowledged: [Zxid: [UInt8]] = [:]
    var leaders: [UInt32: PeerID] = [:]
    var nextPayload: UInt64 = 0
    var nextToken: UInt64 = 0
    /// Per sync token: how many committed entries its node must have applied when it completes,
    /// enforced for syncs asked while the ensemble is stable (`strictSyncs`).
    var syncs: [UInt64: (node: PeerID, required: Int, strict: Bool)] = [:]
    var strictSyncs = false
    var staleSyncs = 0
    var failures: [String] = []
    var trace: [String] = []
    /// How often the interesting paths ran, so a run shows it exercised them.
    var counts: [String: Int] = [:]

    init(size: Int, seed: UInt64) {
        ids = (1...size).map { PeerID($0) }
        random = QuorumRandom(seed: seed)
        for id in ids {
            nodes[id] = Node()
            restart(id)
        }
    }

    var upNodes: [PeerID] { ids.filter { nodes[$0]?.peer != nil } }
    var downNodes: [PeerID] { ids.filter { nodes[$0]?.peer == nil } }

    func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }
    func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[Int.random(in: 0..<items.count, using: &random)] }

    func note(_ line: String) {
        trace.append("[\(step)] " + line)
        if trace.count > 3000 { trace.removeFirst(trace.count - 3000) }
    }

    func fail(_ message: String) {
        if failures.isEmpty { note("FAILED: " + message) }
        failures.append(message)
    }

    // MARK: Actions

    /// Delivers every ready message, in random order (new messages wait for the next round).
    func deliver() {
        var ready: [InFlight] = []
        network.removeAll { flight in
            guard flight.readyAt <= step else { return false }
            ready.append(flight)
            return true
        }
        ready.shuffle(using: &random)
        for flight in ready { deliver(flight) }
    }

    func deliver(_ flight: InFlight) {
        if let from = partition[flight.from], let to = partition[flight.to], from != to { return }
        guard var peer = nodes[flight.to]?.peer else { return }
        let effects = peer.receive(flight.message, from: flight.from)
        nodes[flight.to]?.peer = peer
        note("\(flight.from)→\(flight.to) \(flight.message.brief)")
        perform(effects, at: flight.to)
    }

    func tick(_ id: PeerID) {
        guard var peer = nodes[id]?.peer else { return }
        let effects = peer.tick()
        nodes[id]?.peer = peer
        perform(effects, at: id)
    }

    /// The node's fsync completes: everything written so far is durable.
    func fsync(_ id: PeerID) {
        guard var node = nodes[id], var peer = node.peer, !node.disk.buffered.isEmpty else { return }
        node.disk.durable += node.disk.buffered
        node.disk.buffered = []
        let effects = peer.persisted(write: node.disk.lastWrite)
        node.peer = peer
        nodes[id] = node
        perform(effects, at: id)
    }

    func crash(_ id: PeerID) {
        guard nodes[id]?.peer != nil else { return }
        note("crash \(id)")
        counts["crashes", default: 0] += 1
        nodes[id]?.peer = nil
        nodes[id]?.disk.buffered = []
        nodes[id]?.applied = []
        // Its connections close: most nodes notice at once (a few only from the silence).
        for other in upNodes where chance(0.8) { lose(id, at: other) }
    }

    /// `at` sees its connection from `lost` close (after a crash, or spuriously).
    func lose(_ lost: PeerID, at id: PeerID) {
        guard var peer = nodes[id]?.peer else { return }
        let effects = peer.peerLost(lost)
        nodes[id]?.peer = peer
        note("\(id) lost \(lost)")
        counts["connections lost", default: 0] += 1
        perform(effects, at: id)
    }

    /// Starts the node from its disk; the host reloads its state from the snapshot.
    func restart(_ id: PeerID) {
        guard var node = nodes[id], node.peer == nil else { return }
        note("restart \(id)")
        node.applied = node.disk.snapshot.map { decodeSnapshot($0.data) } ?? []
        node.peer = QuorumPeer(
            id: id, members: ids, timing: timing, persistent: node.disk.persistent, snapshot: node.disk.snapshot,
            log: node.disk.durable, seed: random.next())
        nodes[id] = node
    }

    /// A client write at whichever node leads (established); a deposed leader may take one too.
    func clientWrite() {
        let leading = upNodes.filter { nodes[$0]?.peer?.role == .leading(established: true) }
        if let id = pick(leading) { write(at: id) }
    }

    func write(at id: PeerID) {
        guard var peer = nodes[id]?.peer else { return }
        nextPayload += 1
        let value = nextPayload
        let (zxid, effects) = peer.propose { _ in withUnsafeBytes(of: value.bigEndian) { Array($0) } }
        nodes[id]?.peer = peer
        if let zxid { note("write \(value) at \(id) as \(zxid)") }
        perform(effects, at: id)
    }

    /// The pattern behind Raft's "figure 8": a leader logs a few writes durably that hardly
    /// anyone receives, then crashes, and later comes back with a log whose last zxid is
    /// newer than what the others committed meanwhile.
    func leaderWritesAloneThenCrashes() {
        let leading = upNodes.filter { nodes[$0]?.peer?.role == .leading(established: true) }
        guard let id = pick(leading) else { return }
        let saved = dropRate
        dropRate = 0.9
        for _ in 0..<Int.random(in: 1...3, using: &random) { write(at: id) }
        dropRate = saved
        fsync(id)
        crash(id)
    }

    /// Cuts one node (often the leader) off from all the others.
    func isolate(_ id: PeerID) {
        partition = [:]
        for other in ids { partition[other] = other == id ? 1 : 0 }
        note("isolate \(id)")
    }

    func clientSync(_ id: PeerID) {
        guard var peer = nodes[id]?.peer else { return }
        nextToken += 1
        syncs[nextToken] = (node: id, required: chosen.count, strict: strictSyncs)
        let effects = peer.requestSync(token: nextToken)
        nodes[id]?.peer = peer
        perform(effects, at: id)
    }

    /// The host snapshots its applied state and lets the peer drop the log it covers.
    func compact(_ id: PeerID) {
        guard var node = nodes[id], var peer = node.peer, let last = node.applied.last, last.zxid > peer.log.baseZxid
        else { return }
        let snapshot = QuorumSnapshot(zxid: last.zxid, data: encodeSnapshot(node.applied))
        node.disk.snapshot = snapshot
        node.disk.durable.removeAll { $0.zxid <= last.zxid }
        node.disk.buffered.removeAll { $0.zxid <= last.zxid }
        let effects = peer.compact(to: snapshot)
        node.peer = peer
        nodes[id] = node
        note("compact \(id) at \(last.zxid)")
        perform(effects, at: id)
    }

    func partitionRandomly() {
        partition = [:]
        for id in ids { partition[id] = Int.random(in: 0...1, using: &random) }
        note("partition \(ids.map { "\($0):\(partition[$0] ?? 0)" }.joined(separator: " "))")
    }

    func heal() {
        if !partition.isEmpty { note("heal") }
        partition = [:]
    }

    // MARK: Effects and invariants

    func perform(_ effects: [QuorumEffect], at id: PeerID) {
        for effect in effects {
            guard var node = nodes[id] else { return }
            switch effect {
            case .send(let to, var message):
                // The host fills payloads the peer trimmed from its disk, which must hold them.
                if case .sync(let epoch, var plan) = message, plan.entries.contains(where: { $0.payload.isEmpty }) {
                    counts["payloads read back", default: 0] += 1
                    for index in plan.entries.indices where plan.entries[index].payload.isEmpty {
                        guard let stored = node.disk.durable.first(where: { $0.zxid == plan.entries[index].zxid }) else {
                            fail("node \(id) trimmed \(plan.entries[index].zxid) that its disk does not hold")
                            return
                        }
                        plan.entries[index] = stored
                    }
                    message = .sync(epoch: epoch, plan)
                }
                if chance(dropRate) { continue }
                let copies = chance(duplicateRate) ? 2 : 1
                for _ in 0..<copies {
                    // Now and then a message is held up for long, to arrive from an older epoch.
                    let delay = chance(longDelayRate) ? Int.random(in: 0...200, using: &random) : Int.random(in: 0...maxDelay, using: &random)
                    network.append(InFlight(from: id, to: to, message: message, readyAt: step + delay))
                }
            case .persist(let state):
                node.disk.persistent = state
            case .append(let entries, let write):
                node.disk.buffered += entries
                node.disk.lastWrite = write
            case .truncate(let zxid):
                if let last = node.applied.last, last.zxid > zxid { fail("node \(id) truncated to \(zxid) below applied \(last.zxid)") }
                note("truncate \(id) after \(zxid)")
                if node.disk.lastZxid > zxid { counts["truncations", default: 0] += 1 }
                node.disk.durable.removeAll { $0.zxid > zxid }
                node.disk.buffered.removeAll { $0.zxid > zxid }
            case .installSnapshot(let snapshot):
                let state = decodeSnapshot(snapshot.data)
                if state.count < node.applied.count { fail("node \(id) went back to an older state by a snapshot") }
                for (position, entry) in state.enumerated() where position >= chosen.count || chosen[position] != entry {
                    fail("node \(id) got a snapshot that is not committed state at \(entry.zxid)")
                    break
                }
                note("install \(id) snapshot at \(snapshot.zxid)")
                counts["snapshots installed", default: 0] += 1
                node.applied = state
                node.disk = Disk(persistent: node.disk.persistent, snapshot: snapshot, lastWrite: node.disk.lastWrite)
            case .commit(let entries):
                for entry in entries { apply(entry, to: &node, id: id) }
            case .roleChanged(let role, let epoch):
                note("\(id) is \(role) in epoch \(epoch)")
                if case .leading(established: false) = role { checkNewLeader(id, epoch: epoch, node: node) }
            case .forwarded:
                break
            case .syncCompleted(let token):
                counts["syncs completed", default: 0] += 1
                if let sync = syncs.removeValue(forKey: token), node.applied.count < sync.required {
                    if sync.strict { fail("sync \(token) at \(id) completed before catching up") } else { staleSyncs += 1 }
                }
            case .syncAborted(let tokens):
                for token in tokens { syncs[token] = nil }
            case .fault(let message):
                fail("node \(id) fault: \(message)")
            }
            nodes[id] = node
        }
    }

    /// Committed prefixes agree: the node's n-th applied entry is the n-th chosen one.
    func apply(_ entry: QuorumEntry, to node: inout Node, id: PeerID) {
        if let last = node.applied.last, last.zxid >= entry.zxid { fail("node \(id) applied \(entry.zxid) after \(last.zxid)") }
        let position = node.applied.count
        if position < chosen.count {
            if chosen[position] != entry {
                fail("node \(id) applied \(entry.zxid) at position \(position) where \(chosen[position].zxid) was committed")
            }
        } else {
            // Within an epoch the leader numbers proposals 1, 2, 3...: the committed sequence
            // holds each epoch's proposals without a gap (so a client's pipelined writes commit
            // in order, and none commits after an earlier one was lost).
            let previous = chosen.last?.zxid ?? .zero
            let follows = previous.epoch == entry.zxid.epoch ? entry.zxid.counter == previous.counter + 1 : entry.zxid.counter == 1
            if !follows { fail("committed \(entry.zxid) right after \(previous): a gap in the leader's sequence") }
            if entry.zxid.epoch < previous.epoch { fail("committed \(entry.zxid) after \(previous) of a later epoch") }
            chosen.append(entry)
        }
        node.applied.append(entry)
        if node.peer?.role == .leading(established: true) || node.peer?.role == .leading(established: false) {
            acknowledged[entry.zxid] = entry.payload
        }
    }

    /// One leader per epoch, and it holds every committed (so every acknowledged) write.
    func checkNewLeader(_ id: PeerID, epoch: UInt32, node: Node) {
        if let other = leaders[epoch], other != id { fail("two leaders in epoch \(epoch): \(other) and \(id)") }
        leaders[epoch] = id
        counts["leaders elected", default: 0] += 1
        guard let log = node.peer?.log else { return }
        // A payload the peer trimmed is on its disk.
        func held(_ zxid: Zxid) -> [UInt8]? {
            guard let entry = log.entry(zxid) else { return nil }
            return entry.payload.isEmpty ? node.disk.durable.first { $0.zxid == zxid }?.payload : entry.payload
        }
        for entry in chosen where entry.zxid > log.baseZxid {
            if held(entry.zxid) != entry.payload { fail("leader \(id) of epoch \(epoch) lacks committed \(entry.zxid)") }
        }
        for (zxid, payload) in acknowledged where zxid > log.baseZxid {
            if held(zxid) != payload { fail("leader \(id) of epoch \(epoch) lacks acknowledged write \(zxid)") }
        }
        if let snapshot = log.snapshot, decodeSnapshot(snapshot.data) != Array(chosen.prefix(while: { $0.zxid <= snapshot.zxid })) {
            fail("leader \(id) of epoch \(epoch) has a snapshot that is not the committed prefix")
        }
    }

    /// After every step: each host mirrors its peer, and the peer never counts on more than
    /// the disk holds.
    func checkStep() {
        for id in upNodes {
            guard let node = nodes[id], let peer = node.peer else { continue }
            let applied = node.applied.last?.zxid ?? .zero
            if peer.commitZxid != applied { fail("node \(id) committed \(peer.commitZxid) but applied \(applied)") }
            if peer.durableZxid > node.disk.durableZxid {
                fail("node \(id) counts \(peer.durableZxid) durable, disk holds \(node.disk.durableZxid)")
            }
            if peer.log.lastZxid != node.disk.lastZxid { fail("node \(id) log ends at \(peer.log.lastZxid), disk at \(node.disk.lastZxid)") }
            if peer.persistent != node.disk.persistent { fail("node \(id) persistent state not on disk") }
            if peer.commitZxid > peer.log.lastZxid { fail("node \(id) committed past its log") }
        }
    }
}

extension QuorumMessage {
    /// One line for the trace.
    var brief: String {
        switch self {
        case .preVoteRequest(let lastEpoch, let lastZxid): "prevote? (\(lastEpoch), \(lastZxid))"
        case .preVoteReply(let epoch, let granted): "prevote e\(epoch) \(granted)"
        case .voteRequest(let epoch, let lastEpoch, let lastZxid): "vote? e\(epoch) (\(lastEpoch), \(lastZxid))"
        case .voteReply(let epoch, let granted): "vote e\(epoch) \(granted)"
        case .followerInfo(let epoch, let lastZxid): "info e\(epoch) \(lastZxid)"
        case .sync(let epoch, let plan):
            "sync e\(epoch) trunc \(plan.truncateTo?.description ?? "-") snap \(plan.snapshot?.zxid.description ?? "-") prev \(plan.prevZxid) +\(plan.entries.count) c \(plan.commitZxid)"
        case .propose(let epoch, let prev, let entries, let commit, let durable): "propose e\(epoch) prev \(prev) +\(entries.count) c \(commit) d \(durable)"
        case .ack(let epoch, let zxid): "ack e\(epoch) \(zxid)"
        case .syncRequest(let epoch, let token): "sync? e\(epoch) #\(token)"
        case .syncReply(let epoch, let token, let zxid): "synced e\(epoch) #\(token) \(zxid)"
        case .forward(let payload): "forward \(payload.count) bytes"
        }
    }
}

/// The simulated host's snapshot: its applied entries, each as zxid, length, payload.
func encodeSnapshot(_ entries: [QuorumEntry]) -> [UInt8] {
    var bytes: [UInt8] = []
    for entry in entries {
        withUnsafeBytes(of: entry.zxid.value.bigEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt32(entry.payload.count).bigEndian) { bytes += $0 }
        bytes += entry.payload
    }
    return bytes
}

func decodeSnapshot(_ bytes: [UInt8]) -> [QuorumEntry] {
    var entries: [QuorumEntry] = []
    var offset = 0
    func read(_ count: Int) -> UInt64? {
        guard offset + count <= bytes.count else { return nil }
        defer { offset += count }
        return bytes[offset..<offset + count].reduce(0) { $0 << 8 | UInt64($1) }
    }
    while let zxid = read(8), let length = read(4), offset + Int(length) <= bytes.count {
        entries.append(QuorumEntry(zxid: Zxid(value: Int64(bitPattern: zxid)), payload: Array(bytes[offset..<offset + Int(length)])))
        offset += Int(length)
    }
    return entries
}
