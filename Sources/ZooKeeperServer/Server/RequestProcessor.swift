import Dispatch
import Logging
import Network
import Wire
import ZooKeeperProtocol

/// The heart of a node: owns the database, the sessions, the watches and the client
/// connections, and turns requests into transactions, replies and notifications.
///
/// **Thread.** Everything here runs on `queue`, one request at a time in arrival order
/// (ZooKeeper's request processor pipeline is single-threaded the same way), which is what
/// makes per-client FIFO order and the global order of writes trivially true. Entry points
/// hop onto the queue; nothing in them blocks. In a node, `queue` targets the node's event
/// loop, which its connections' queues and its quorum peer's queue target too: a request goes
/// from socket to reply on one thread, without waking another at each hop.
///
/// **Writes.** A write is prepared (`RequestPreparer`), applied to the database at once, and
/// its transaction queued for the committer. Its reply — and every reply and notification
/// that follows it, for any client — is an `Effect` released only once the committer has made
/// the transaction durable, so nothing a client sees can be lost by a crash, while the next
/// requests are already being processed (group commit).
///
/// **Reads** answer from the current database, behind the same release order.
final class RequestProcessor: @unchecked Sendable {
    let queue: DispatchQueue
    /// The serial queue at the top of `queue`'s hierarchy: code running anywhere under it
    /// already has the processor to itself (see `exclusively`, `SerialHierarchy`).
    private let root: DispatchQueue
    let config: ZooKeeperConfig
    let logger: Logger
    let stats: ServerStats
    private let committer: any TxnCommitter
    var database: ZKDatabase
    var tracker: SessionTracker
    private var watches = WatchManager()
    var connections: [UInt64: ClientConnection] = [:]
    /// The connection each live session is attached to, if any.
    var sessionOwners: [Int64: UInt64] = [:]
    var nextSessionId: Int64
    /// Standalone, or this node's part in an ensemble (see `RequestProcessor+Following`).
    var ensemble = EnsembleState()
    private var superId: Id?
    var txnsSinceSnapshot = 0
    private var snapshotThreshold: Int
    /// Monotonic time of the current request, ms.
    var now: Int64 = 0
    // The batch being built for the committer.
    private var pendingTxns: [Txn] = []
    var pendingEffects: [Effect] = []
    private var timers: [any DispatchSourceTimer] = []
    private(set) var isServing = true
    /// What srvr, stat, mntr and envi print as the version (set before `start`).
    var versionText = "3.8.0-petrel"

    /// Requests received and not yet answered (srvr's "Outstanding").
    var outstanding = 0

    /// - Parameter targetQueue: the node's event loop (a serial queue), if it has one.
    init(
        config: ZooKeeperConfig, database: ZKDatabase, committer: any TxnCommitter, logger: Logger, stats: ServerStats,
        targetQueue: DispatchQueue? = nil
    ) {
        queue = DispatchQueue(label: "petrel.zookeeper.processor", qos: .userInitiated, target: targetQueue)
        root = targetQueue ?? queue
        SerialHierarchy.mark(root)
        self.config = config
        self.database = database
        self.committer = committer
        self.logger = logger
        self.stats = stats
        self.tracker = SessionTracker(tickTime: config.tickTime)
        self.nextSessionId = SessionIdentity.firstId(serverId: config.myId, nowMilliseconds: WallClock.milliseconds())
        self.snapshotThreshold = Self.randomThreshold(config.snapCount)
        if let digest = config.superDigest, digest.hasPrefix("super:") {
            superId = Id(scheme: "digest", id: digest)
        }
        // Sessions recovered from disk get a full timeout to come back.
        let start = MonotonicClock.milliseconds()
        for (session, timeout) in database.sessions {
            tracker.add(session, timeout: timeout, now: start)
        }
    }

    /// ZooKeeper snapshots at a random count between half of snapCount and snapCount.
    private static func randomThreshold(_ snapCount: Int) -> Int {
        let half = max(snapCount / 2, 1)
        return half + Int.random(in: 0..<max(snapCount - half, 1))
    }

    // MARK: Entry points (any thread)

    /// Runs `body` with the processor to itself and returns what it returns: directly when
    /// the caller already runs under the processor's event loop (a connection's queue there
    /// cannot wait for the loop it runs on), otherwise on `queue`, waiting. Only for brief,
    /// non-blocking work (the four-letter words).
    func exclusively<T>(_ body: () -> T) -> T {
        if SerialHierarchy.callerHolds(root) { return body() }
        return queue.sync(execute: body)
    }

    /// Runs `body` on the processor: at once when the caller runs under its event loop (an
    /// ensemble member's connections and quorum node do), else queued. Every entry point from
    /// the loop uses it, so they keep the order they were called in. Queued, each hand-off went
    /// to the back of the loop's line, behind whatever socket events came meanwhile: a
    /// follower's reply waited behind its acknowledgement to the leader and the next message
    /// read.
    func onQueue(_ body: @escaping @Sendable () -> Void) {
        SerialHierarchy.run(on: queue, under: root, body)
    }

    func start() {
        queue.async { [self] in
            let tick = DispatchSource.makeTimerSource(queue: queue)
            let period = max(config.tickTime / 2, 10)
            tick.schedule(deadline: .now() + .milliseconds(period), repeating: .milliseconds(period), leeway: .milliseconds(period / 10))
            tick.setEventHandler { [weak self] in self?.expireSessions() }
            tick.activate()
            let containers = DispatchSource.makeTimerSource(queue: queue)
            let interval = config.containerCheckIntervalMs
            containers.schedule(deadline: .now() + .milliseconds(interval), repeating: .milliseconds(interval), leeway: .milliseconds(max(interval / 10, 1)))
            containers.setEventHandler { [weak self] in self?.deleteExpiredContainers() }
            containers.activate()
            timers = [tick, containers]
        }
    }

    /// At once under the node's event loop: the connection's first bytes may be a four-letter
    /// word answered right away on the loop (`exclusively`), and `cons` and `mntr` count the
    /// asking connection, as ZooKeeper's do. Otherwise queued.
    func connectionOpened(_ info: ConnectionInfo, channel: ConnectionChannel) {
        onQueue { [self] in connections[info.id] = ClientConnection(info: info, channel: channel) }
    }

    func connectionClosed(_ info: ConnectionInfo) {
        onQueue { [self] in
            guard let connection = connections.removeValue(forKey: info.id) else { return }
            watches.removeAll(watcher: info.id)
            if connection.sessionId != 0, sessionOwners[connection.sessionId] == info.id {
                sessionOwners[connection.sessionId] = nil
            }
        }
    }

    func receive(_ incoming: Incoming, from id: UInt64, reply: @escaping @Sendable (Reply) -> Void) {
        let received = ContinuousClock.now
        onQueue { [self] in
            now = MonotonicClock.milliseconds()
            stats.received()
            guard isServing, let connection = connections[id], !connection.closing else {
                return reply(.close(reason: "connection is closing"))
            }
            // ZooKeeper serves nobody while its ensemble has no leader.
            guard ensemble.mode != .looking else {
                connection.closing = true
                return reply(.close(reason: "this server is not serving: the ensemble has no leader"))
            }
            connection.stats.received()
            outstanding += 1
            let context = RequestContext(connection: connection, reply: reply, received: received)
            switch incoming {
            case .connect(let request):
                handleConnect(request, context)
            case .garbage(let why):
                finish(context, .close(reason: why))
            default:
                if ensemble.mode == .following && connection.sessionId != 0 {
                    followerReceive(incoming, context)
                } else {
                    handleRequest(incoming, context)
                }
            }
            flush()
        }
    }

    /// Stops taking requests and sessions; pending effects still go out through the committer.
    func stop(completion: @escaping @Sendable () -> Void) {
        queue.async { [self] in
            isServing = false
            for timer in timers { timer.cancel() }
            timers = []
            flush()
            completion()
        }
    }

    // MARK: Replies

    struct RequestContext {
        let connection: ClientConnection
        let reply: @Sendable (Reply) -> Void
        let received: ContinuousClock.Instant
    }

    /// Queues the reply to the current request (released after what precedes it is durable).
    func finish(_ context: RequestContext, _ reply: Reply, op: String = "NA", cxid: Int32 = 0, zxid: Int64? = nil) {
        outstanding -= 1
        let accounting = ReplyAccounting(
            stats: stats, connection: context.connection.stats, received: context.received, opName: op, cxid: cxid,
            zxid: zxid ?? database.lastZxid)
        pendingEffects.append(.reply(context.reply, reply, accounting))
    }

    func finish(_ context: RequestContext, xid: Int32, op: String, error: ErrorCode = .ok, zxid: Int64? = nil, body: ((inout ByteWriter) -> Void)? = nil) {
        let replyZxid = zxid ?? database.lastZxid
        finish(context, .frame(Frames.reply(xid: xid, zxid: replyZxid, error: error, body: body)), op: op, cxid: xid, zxid: replyZxid)
    }

    func closeAfterReplies(_ connection: ClientConnection, reason: String) {
        connection.closing = true
        if let channel = connection.channel { pendingEffects.append(.close(channel, reason: reason)) }
    }

    /// Hands the batch to the committer; takes a snapshot when enough transactions passed.
    func flush() {
        if pendingTxns.isEmpty && pendingEffects.isEmpty { return }
        if ensemble.mode == .leading, let last = pendingTxns.last?.zxid {
            // Released once the batch commits: then it is never undone.
            pendingEffects.append(.run { [weak self] in self?.confirm(through: last) })
        }
        // Taken first: the committer may run the effects at once, and one may lead back here.
        let txns = pendingTxns
        let effects = pendingEffects
        pendingTxns = []
        pendingEffects = []
        if txns.isEmpty && (ensemble.mode == .following || ensemble.mode == .looking) {
            // This state holds only committed transactions (a follower applies on commit, a
            // looking node has undone what it had not): nothing to wait for.
            committer.release(effects)
        } else {
            committer.submit(txns, effects: effects)
        }
        if txnsSinceSnapshot >= snapshotThreshold {
            txnsSinceSnapshot = 0
            snapshotThreshold = Self.randomThreshold(config.snapCount)
            committer.checkpoint(database)
        }
    }

    // MARK: Transactions

    /// Applies a transaction now and queues it for the committer; fires the watches it
    /// triggers.
    @discardableResult
    func commit(_ body: TxnBody, session: Int64, cxid: Int32) -> (zxid: Int64, outcome: ZKDatabase.Outcome) {
        if ensemble.mode == .following {
            // A follower decides nothing: it applies what the leader decided, when it commits.
            guard let txn = ensemble.replaying else { return (database.lastZxid, ZKDatabase.Outcome()) }
            ensemble.replaying = nil
            let outcome = database.apply(txn)
            notify(outcome.events)
            return (txn.zxid, outcome)
        }
        let txn = Txn(sessionId: session, cxid: cxid, zxid: committer.nextZxid(after: database.lastZxid), time: WallClock.milliseconds(), body: body)
        let outcome: ZKDatabase.Outcome
        if ensemble.mode == .leading {
            let undo: ZKDatabase.Undo
            (outcome, undo) = database.applyUndoably(txn)
            ensemble.unconfirmed.append(undo)
        } else {
            outcome = database.apply(txn)
        }
        pendingTxns.append(txn)
        txnsSinceSnapshot += 1
        notify(outcome.events)
        return (txn.zxid, outcome)
    }

    func notify(_ events: [TreeEvent]) {
        for event in events {
            let watchers = watches.trigger(event)
            if watchers.isEmpty { continue }
            let frame = Frames.notification(event.type, path: event.path)
            for watcher in watchers {
                guard let connection = connections[watcher], let channel = connection.channel else { continue }
                connection.stats.sent()
                stats.sent()
                pendingEffects.append(.push(channel, frame))
            }
        }
    }

    /// Sends one notification to one connection (setWatches catching a client up).
    func notify(_ connection: ClientConnection, _ type: EventType, path: String) {
        guard let channel = connection.channel else { return }
        connection.stats.sent()
        stats.sent()
        pendingEffects.append(.push(channel, Frames.notification(type, path: path)))
    }

    // MARK: Sessions

    /// `revalidated`: a follower looks again after catching up with the leader (below).
    func handleConnect(_ request: ConnectRequest, _ context: RequestContext, revalidated: Bool = false) {
        let connection = context.connection
        if request.lastZxidSeen > database.lastZxid {
            return finish(context, .close(reason: "client has seen zxid 0x\(String(request.lastZxidSeen, radix: 16)), ours is 0x\(String(database.lastZxid, radix: 16)): it must try another server"))
        }
        let timeout = Int32(clamping: min(max(Int(request.timeOut), config.minSessionTimeout), config.maxSessionTimeout))
        let readOnlyFlag: Bool? = request.readOnly.map { _ in false }
        if request.sessionId == 0 {
            let session = nextSessionId
            nextSessionId += 1
            if ensemble.mode == .following {
                // Answered when the leader's createSession commits here.
                ensemble.pendingConnects[session] = (context: context, readOnly: readOnlyFlag)
                ensemble.link?.forward(ForwardedRequest.createSession(session: session, timeout: timeout).encoded())
                return
            }
            commit(.createSession(timeout: timeout), session: session, cxid: 0)
            tracker.add(session, timeout: timeout, now: now)
            bind(connection, to: session, timeout: timeout)
            let response = ConnectResponse(timeOut: timeout, sessionId: session, passwd: SessionIdentity.password(for: session), readOnly: readOnlyFlag)
            return finish(context, .frame(Frames.connectResponse(response)), op: "SESS")
        }
        let session = request.sessionId
        if ensemble.mode == .following, !revalidated, database.sessions[session] == nil, SessionIdentity.check(request.passwd, for: session) {
            // The session may be younger than what this node has applied: created through
            // another member a moment ago, whose client moved here at once. ZooKeeper's
            // follower asks the leader to revalidate it; this one catches up with the leader
            // (a sync) and looks again, so it refuses only what the leader no longer has.
            let token = ensemble.nextSyncToken
            ensemble.nextSyncToken += 1
            ensemble.revalidating[token] = (request: request, context: context)
            ensemble.link?.requestSync(token: token)
            return
        }
        guard database.sessions[session] != nil, !tracker.isClosing(session), SessionIdentity.check(request.passwd, for: session) else {
            logger.info("refusing reconnect of session 0x\(String(UInt64(bitPattern: session), radix: 16)) from \(connection.info): expired, unknown or wrong password")
            finish(context, .frame(Frames.connectResponse(.expired(readOnly: request.readOnly))), op: "SESS")
            return closeAfterReplies(connection, reason: "session 0x\(String(UInt64(bitPattern: session), radix: 16)) is expired or unknown")
        }
        if let previous = sessionOwners[session], previous != connection.info.id, let old = connections[previous] {
            old.sessionId = 0
            closeAfterReplies(old, reason: "session 0x\(String(UInt64(bitPattern: session), radix: 16)) reconnected on another connection")
        }
        _ = tracker.touch(session, now: now, timeout: timeout)
        if ensemble.mode == .following { ensemble.touched[session] = timeout }
        bind(connection, to: session, timeout: timeout)
        let response = ConnectResponse(timeOut: timeout, sessionId: session, passwd: SessionIdentity.password(for: session), readOnly: readOnlyFlag)
        finish(context, .frame(Frames.connectResponse(response)), op: "SESS")
    }

    func bind(_ connection: ClientConnection, to session: Int64, timeout: Int32) {
        connection.sessionId = session
        connection.timeout = timeout
        sessionOwners[session] = connection.info.id
    }

    /// Ends a session: its ephemeral nodes go (watches fire), its connection closes (unless
    /// the caller still has to answer on it and closes it itself). Returns the zxid.
    @discardableResult
    func closeSession(_ session: Int64, cxid: Int32, reason: String, closeConnection: Bool = true) -> Int64 {
        tracker.markClosing(session)
        let (zxid, _) = commit(.closeSession, session: session, cxid: cxid)
        tracker.remove(session)
        if let owner = sessionOwners.removeValue(forKey: session), let connection = connections[owner], closeConnection {
            closeAfterReplies(connection, reason: reason)
        }
        return zxid
    }

    private func expireSessions() {
        now = MonotonicClock.milliseconds()
        switch ensemble.mode {
        case .standalone, .leading: break
        case .following: return reportTouches()
        case .looking: return
        }
        for session in tracker.expire(now: now) {
            let hex = String(UInt64(bitPattern: session), radix: 16)
            logger.info("session 0x\(hex) expired")
            closeSession(session, cxid: 0, reason: "session 0x\(hex) expired")
        }
        flush()
    }

    func touch(_ session: Int64) -> Bool {
        if ensemble.mode == .following {
            // Only the leader tracks expiry; it hears of this touch in the next report.
            guard let timeout = database.sessions[session] else { return false }
            ensemble.touched[session] = timeout
            return true
        }
        return tracker.touch(session, now: now)
    }

    // MARK: Containers and TTL nodes

    private func deleteExpiredContainers() {
        guard ensemble.mode == .standalone || ensemble.mode == .leading else { return }
        let wallNow = WallClock.milliseconds()
        var candidates: [String] = []
        for path in database.tree.containers {
            guard let node = database.tree.node(path), node.children.isEmpty else { continue }
            if node.cversion > 0 {
                candidates.append(path)
            } else if config.containerMaxNeverUsedIntervalMs > 0, wallNow - node.mtime > Int64(config.containerMaxNeverUsedIntervalMs) {
                candidates.append(path)
            }
        }
        for path in database.tree.ttls {
            guard let node = database.tree.node(path), node.children.isEmpty,
                case .ttl(let ttl) = node.kind(extendedTypes: config.extendedTypesEnabled), ttl != 0, wallNow - node.mtime > ttl
            else { continue }
            candidates.append(path)
        }
        for path in candidates.sorted() {
            let preparer = RequestPreparer(tree: database.tree, requester: Requester(sessionId: 0, ids: [], isSuper: true), extendedTypes: config.extendedTypesEnabled)
            guard let body = try? preparer.deleteContainer(path) else { continue }
            logger.info("deleting \(path): empty container or expired TTL node")
            commit(body, session: 0, cxid: 0)
        }
        flush()
    }

    // MARK: Reports

    var connectionList: [ClientConnection] { Array(connections.values).sorted { $0.info.id < $1.info.id } }
    var liveSessionCount: Int { tracker.count }
    var watchSummary: (connections: Int, paths: Int, watches: Int) { watches.summary }
    var watchesByConnection: [UInt64: Set<String>] { watches.byWatcher }
    var watchesByPath: [String: [UInt64]] { watches.byPath }
    func sessionOf(connection id: UInt64) -> Int64 { connections[id]?.sessionId ?? 0 }

    // MARK: For the request handlers

    var watchManager: WatchManager {
        get { watches }
        _modify { yield &watches }
    }

    func requester(_ connection: ClientConnection) -> Requester {
        Requester(
            sessionId: connection.sessionId, ids: connection.ids,
            isSuper: config.skipACL || superId.map { connection.ids.contains($0) } ?? false)
    }

    func preparer(_ connection: ClientConnection) -> RequestPreparer {
        RequestPreparer(tree: database.tree, requester: requester(connection), extendedTypes: config.extendedTypesEnabled)
    }

    /// The trial run of a multi: parts are applied (unlogged) so each is prepared against the
    /// state the earlier ones leave, then everything is undone.
    func beginTrial() { database.beginTrial() }
    func endTrial() { database.endTrial() }

    func applyTrial(_ body: TxnBody, session: Int64) -> ZKDatabase.Outcome {
        database.apply(Txn(sessionId: session, cxid: 0, zxid: database.lastZxid + 1, time: WallClock.milliseconds(), body: body))
    }
}
