import Dispatch
import Network
import Wire

/// Runs a `QuorumPeer` for real: on one serial queue, with a store for its disk, a transport
/// for its peers (encoded frames, `QuorumCodec`) and a timer for its ticks. It carries out the
/// peer's effects in order and reports what the host must know as `QuorumEvent`s.
///
/// **Batching.** Messages are sent at the end of the burst of work that made them
/// (`Outbox`): later is always allowed (an effect's durability comes before the sends after
/// it, never the other way round), and merging consecutive proposals and acknowledgements to
/// one peer turns a burst of writes into one frame, one append and one acknowledgement there.
///
/// **Group commit.** Appended entries are written at the end of the burst too, after its
/// messages are handed to the transport (as ZooKeeper's leader queues a PROPOSAL before
/// logging it: nothing counts the leader's copy before its fsync; from under the member's loop
/// the transport writes them at once, so the followers start on a proposal while the leader
/// writes its own copy), so a burst's entries are one write however many proposals made them
/// (at 64 outstanding, 0.36 write calls per transaction on the leader instead of 1.27). Then
/// one fsync at a time, off the queue (`startSync`), makes everything written before it durable
/// and reports the latest write it covers to the peer, so the fsync rate, not the proposal
/// rate, bounds the work. Any other change to the store (`persist`, `truncate`, a snapshot)
/// writes the pending entries first, so the disk sees every change in the peer's order.
///
/// **Concurrency.** Everything but `receive`, `peerLost`, `tick`, `start` and `stop` must run
/// under `queue`'s hierarchy (`callerHoldsQueue`: on `queue`, or on another queue of the same
/// event loop); the peer, the store and the listener belong to it. `queue` targets the member's
/// event loop when it has one, so work handed between it, the request processor and the
/// connections wakes no other thread; only fsyncs wait elsewhere (`syncQueue`).
final class QuorumNode: @unchecked Sendable {
    let queue: DispatchQueue
    let id: PeerID
    private var peer: QuorumPeer
    private let store: any QuorumStore
    private let transport: @Sendable (PeerID, [UInt8]) -> Void
    private var listener: (@Sendable (QuorumEvent) -> Void)?
    private var timer: (any DispatchSourceTimer)?
    private var lastWrite: UInt64 = 0
    /// Where fsyncs wait, so the node's queue never does.
    private let syncQueue: DispatchQueue
    private var syncScheduled = false
    /// Messages waiting for the end of the current burst of work on the queue (see `Outbox`).
    private var outbox = Outbox()
    /// Entries to write at the end of the burst, after its messages, and the write number the
    /// peer gave the last of them.
    private var pendingEntries: [QuorumEntry] = []
    private var pendingWrite: UInt64 = 0
    private var failed = false

    init(
        peer: QuorumPeer, store: any QuorumStore, targetQueue: DispatchQueue? = nil, transport: @escaping @Sendable (PeerID, [UInt8]) -> Void
    ) {
        self.peer = peer
        self.id = peer.id
        self.store = store
        self.transport = transport
        queue = DispatchQueue(label: "petrel.zookeeper.quorum.\(peer.id)", qos: .userInitiated, target: targetQueue)
        syncQueue = DispatchQueue(label: "petrel.zookeeper.quorum.\(peer.id).sync", qos: .userInitiated)
        root = targetQueue ?? queue
        SerialHierarchy.mark(root)
        releaseSnapshotBytesIfStored()
    }

    /// The serial queue at the top of `queue`'s hierarchy: the member's event loop, if any.
    let root: DispatchQueue

    /// Whether the caller runs under `queue`'s hierarchy (`queue` itself, or anything else on
    /// the member's event loop), so it holds the node exclusively and may do queue work at
    /// once instead of queueing it behind whatever the loop has waiting.
    var callerHoldsQueue: Bool { SerialHierarchy.callerHolds(root) }

    /// Sets who hears the events (before `start`).
    func listen(_ listener: @escaping @Sendable (QuorumEvent) -> Void) {
        queue.sync { self.listener = listener }
    }

    /// Ticks the peer every `interval` until `stop`.
    func start(tickEvery interval: DispatchTimeInterval) {
        queue.sync {
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + interval, repeating: interval)
            timer.setEventHandler { [weak self] in self?.tickOnQueue() }
            timer.resume()
            self.timer = timer
        }
    }

    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
            failed = true
        }
    }

    /// A frame's body (after its length prefix) from `peer`. Frames that do not decode are
    /// dropped: the protocol makes up for a lost message. Taken at once when the caller (the
    /// member's connection that read it) runs under the node's event loop: queued, it would wait
    /// behind everything else the loop has, and a follower's reply waits for the leader's word.
    func receive(body: [UInt8], from sender: PeerID) {
        SerialHierarchy.run(on: queue, under: root) { [self] in
            guard !failed, case .message(let message)? = try? QuorumCodec.decode(body: body[...]) else { return }
            perform(peer.receive(message, from: sender))
        }
    }

    func tick() {
        queue.async { [self] in tickOnQueue() }
    }

    /// The connection from `peer` closed (see `QuorumPeer.peerLost`).
    func peerLost(_ lost: PeerID) {
        queue.async { [self] in
            guard !failed else { return }
            perform(peer.peerLost(lost))
        }
    }

    // MARK: On the queue

    var role: QuorumRole {
        precondition(callerHoldsQueue)
        return peer.role
    }

    var lastZxid: Zxid {
        precondition(callerHoldsQueue)
        return peer.log.lastZxid
    }

    /// The snapshot bytes the peer's log holds in memory (none once its store has them).
    var snapshotBytesInMemory: Int {
        precondition(callerHoldsQueue)
        return peer.log.snapshot?.data.count ?? 0
    }

    /// How many log entries have their payloads only on disk (`QuorumLog.trim`).
    var trimmedEntries: Int {
        precondition(callerHoldsQueue)
        return peer.log.entries.count { $0.payload.isEmpty }
    }

    var nextProposalZxid: Zxid? {
        precondition(callerHoldsQueue)
        return failed ? nil : peer.nextProposalZxid
    }

    /// Leader: appends and sends one transaction (see `QuorumPeer.propose`).
    func propose(_ make: (Zxid) -> [UInt8]) -> Zxid? {
        precondition(callerHoldsQueue)
        guard !failed else { return nil }
        let (zxid, effects) = peer.propose(make)
        perform(effects)
        return zxid
    }

    /// Whether the log may be compacted to a snapshot at `zxid`: it is committed, above the
    /// current base and in the log (so it names the transaction the snapshot's state ends with).
    func canCompact(to zxid: Zxid) -> Bool {
        precondition(callerHoldsQueue)
        return !failed && zxid > peer.log.baseZxid && zxid <= peer.commitZxid && peer.log.contains(zxid)
    }

    /// Compacts the log to `snapshot` (durable already, of committed state): the peer drops the
    /// entries it covers, and the store may forget them.
    func compact(to snapshot: QuorumSnapshot) {
        precondition(callerHoldsQueue)
        guard canCompact(to: snapshot.zxid) else { return }
        perform(peer.compact(to: snapshot))
        do {
            try writePendingEntries()
            try store.compacted(to: snapshot)
        } catch {
            fail("quorum store: \(error)")
        }
        releaseSnapshotBytesIfStored()
    }

    /// A snapshot costs memory only while it is sent: the store's file has its bytes (as big
    /// as the data tree's contents), read back for each SNAP (`withStoredBytes`).
    private func releaseSnapshotBytesIfStored() {
        guard let snapshot = peer.log.snapshot, !snapshot.data.isEmpty, store.holdsSnapshot(at: snapshot.zxid) else { return }
        peer.log.releaseSnapshotBytes()
    }

    /// A client's request this node cannot decide: to the leader (see `QuorumPeer.forward`).
    /// False when there is no leader to send it to.
    @discardableResult
    func forward(_ payload: [UInt8]) -> Bool {
        precondition(callerHoldsQueue)
        guard !failed else { return false }
        let (sent, effects) = peer.forward(payload)
        perform(effects)
        return sent
    }

    /// A client's `sync` (see `QuorumPeer.requestSync`).
    func requestSync(token: UInt64) {
        precondition(callerHoldsQueue)
        guard !failed else { return listener?(.syncAborted(tokens: [token])) ?? () }
        perform(peer.requestSync(token: token))
    }

    private func tickOnQueue() {
        guard !failed else { return }
        perform(peer.tick())
    }

    private func perform(_ effects: [QuorumEffect]) {
        for effect in effects {
            guard !failed else { return }
            do {
                try perform(effect)
            } catch {
                fail("quorum store: \(error)")
            }
        }
    }

    private func perform(_ effect: QuorumEffect) throws {
        switch effect {
        case .send(let to, let message):
            let flushQueued = burstPending
            outbox.add(try withStoredBytes(message, for: to), to: to)
            if !flushQueued { scheduleBurstEnd() }
        case .persist(let state):
            try writePendingEntries()
            try store.persist(state)
        case .append(let entries, let write):
            let flushQueued = burstPending
            pendingEntries += entries
            pendingWrite = write
            if !flushQueued { scheduleBurstEnd() }
        case .truncate(let zxid):
            try writePendingEntries()
            try store.truncate(after: zxid)
        case .installSnapshot(let snapshot):
            try writePendingEntries()
            try store.install(snapshot)
            listener?(.snapshotInstalled(snapshot))
            releaseSnapshotBytesIfStored()
        case .commit(let entries):
            listener?(.committed(entries))
        case .roleChanged(let role, let epoch):
            listener?(.roleChanged(role, epoch: epoch))
        case .forwarded(let from, let payload):
            listener?(.forwarded(from: from, payload: payload))
        case .syncCompleted(let token):
            listener?(.syncCompleted(token: token))
        case .syncAborted(let tokens):
            listener?(.syncAborted(tokens: tokens))
        case .fault(let message):
            fail(message)
        }
    }

    /// A sync whose snapshot bytes or older entries' payloads the peer let go
    /// (`releaseSnapshotBytesIfStored`, `QuorumLog.trim`) gets them back from the store's
    /// files. The store holds the log's snapshot and every entry after it, so missing ones are
    /// damage.
    private func withStoredBytes(_ message: QuorumMessage, for follower: PeerID) throws -> QuorumMessage {
        guard case .sync(let epoch, var plan) = message else { return message }
        if let snapshot = plan.snapshot, snapshot.data.isEmpty {
            guard let bytes = try store.snapshotBytes(at: snapshot.zxid), !bytes.isEmpty else {
                throw QuorumNodeError.missingSnapshot(snapshot.zxid, follower: follower)
            }
            plan.snapshot?.data = bytes
        }
        guard let last = plan.entries.lastIndex(where: { $0.payload.isEmpty }) else {
            return .sync(epoch: epoch, plan)
        }
        // The plan's entries follow `prevZxid` without a gap.
        let after = plan.prevZxid
        let through = plan.entries[last].zxid
        guard let logged = try store.payloads(after: after, through: through), logged.count == last + 1,
            zip(logged, plan.entries).allSatisfy({ $0.zxid == $1.zxid })
        else {
            throw QuorumNodeError.missingLogEntries(after: after, through: through, follower: follower)
        }
        plan.entries.replaceSubrange(0...last, with: logged)
        return .sync(epoch: epoch, plan)
    }

    /// Messages or entries wait for the end of the burst, which is then queued already.
    private var burstPending: Bool { !outbox.isEmpty || !pendingEntries.isEmpty }

    /// After the work already queued: the messages leave, merged (a burst of writes as one
    /// proposal per follower, a burst of acknowledgements as one), then the entries are written.
    private func scheduleBurstEnd() {
        queue.async { [self] in
            let messages = outbox.take()
            guard !failed else { return }
            for (to, message) in messages {
                transport(to, QuorumCodec.encode(.message(message)))
            }
            do {
                try writePendingEntries()
            } catch {
                fail("quorum store: \(error)")
            }
        }
    }

    /// Writes the entries waiting for the end of the burst, and has them made durable.
    private func writePendingEntries() throws {
        guard !pendingEntries.isEmpty else { return }
        let entries = pendingEntries
        pendingEntries = []
        try store.append(entries)
        lastWrite = pendingWrite
        startSync()
    }

    /// Group commit off the queue: one fsync runs on `syncQueue` while the node goes on
    /// (taking acknowledgements, writing the next burst); then the peer hears that everything
    /// written before it began is durable, and writes made meanwhile get the next fsync.
    private func startSync() {
        guard !syncScheduled, !failed else { return }
        syncScheduled = true
        let through = lastWrite
        guard let makeDurable = store.syncer() else {
            // Nothing to wait for (`forceSync=no`): reported after the work queued, as an
            // fsync's would be, without leaving the queue.
            queue.async { [self] in synced(through: through, .success(())) }
            return
        }
        syncQueue.async { [self] in
            let outcome = Result { try makeDurable() }
            queue.async { [self] in synced(through: through, outcome) }
        }
    }

    /// Everything written up to `through` is durable (or the fsync failed).
    private func synced(through: UInt64, _ outcome: Result<Void, any Error>) {
        syncScheduled = false
        guard !failed else { return }
        if case .failure(let error) = outcome { return fail("quorum store sync: \(error)") }
        perform(peer.persisted(write: through))
        if lastWrite > through { startSync() }
    }

    /// Nothing more may be acknowledged: stop, and let the host take the node down.
    private func fail(_ message: String) {
        failed = true
        timer?.cancel()
        timer = nil
        listener?(.failed(message))
    }
}

enum QuorumNodeError: Error, CustomStringConvertible {
    case missingLogEntries(after: Zxid, through: Zxid, follower: PeerID)
    case missingSnapshot(Zxid, follower: PeerID)

    var description: String {
        switch self {
        case .missingLogEntries(let after, let through, let follower):
            "the log files lack entries in (\(after), \(through)] for a DIFF to member \(follower): the log directory is damaged"
        case .missingSnapshot(let zxid, let follower):
            "the snapshot of \(zxid) for a SNAP to member \(follower) is gone from the data directory: it is damaged, or something else removed the file"
        }
    }
}
