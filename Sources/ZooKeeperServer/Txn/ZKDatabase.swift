import ZooKeeperProtocol

/// The replicated state machine: the data tree, the table of live sessions with their
/// timeouts, and the zxid of the last transaction applied. `apply` is deterministic: the same
/// transactions in the same order give the same state on every node and after every restart.
///
/// A value type (copy-on-write), so a snapshot is a cheap copy taken between transactions.
struct ZKDatabase: Sendable {
    var tree: DataTree
    /// Live sessions: id → timeout in ms, as created (`createSession`) and not yet closed.
    private(set) var sessions: [Int64: Int32] = [:]
    private(set) var lastZxid: Int64 = 0
    /// `lastZxid` and the session table before a trial began.
    private var trialBase: Int64?
    private var trialSessions: [Int64: Int32]?

    init(extendedTypes: Bool) {
        tree = DataTree(extendedTypes: extendedTypes)
    }

    init(tree: DataTree, sessions: [Int64: Int32], lastZxid: Int64) {
        self.tree = tree
        self.sessions = sessions
        self.lastZxid = lastZxid
    }

    /// Starts a trial: what is applied until `endTrial` is undone then, zxid included.
    mutating func beginTrial() {
        tree.beginJournal()
        trialBase = lastZxid
        trialSessions = sessions
    }

    mutating func endTrial() {
        tree.endJournal(keep: false)
        if let base = trialBase { lastZxid = base }
        if let saved = trialSessions { sessions = saved }
        trialBase = nil
        trialSessions = nil
    }

    /// What undoes one transaction applied with `applyUndoably`: the first images of the nodes
    /// it touched, the session entry it changed and the zxid before it.
    struct Undo: Sendable {
        let zxid: Int64
        fileprivate let journal: DataTree.Journal
        fileprivate let session: (id: Int64, timeout: Int32?)?
        fileprivate let lastZxid: Int64
    }

    /// Applies `txn` and returns, with what it did, what undoes it. A leader applies what it
    /// decides at once and undoes what had not committed when it stops leading (as ZooKeeper
    /// drops its outstanding changes), so it keeps no second copy of the state.
    mutating func applyUndoably(_ txn: Txn) -> (Outcome, Undo) {
        let before = lastZxid
        let session: (id: Int64, timeout: Int32?)? =
            switch txn.body {
            case .createSession, .closeSession: (txn.sessionId, sessions[txn.sessionId])
            default: nil
            }
        tree.beginJournal()
        let outcome = apply(txn)
        return (outcome, Undo(zxid: txn.zxid, journal: tree.takeJournal(), session: session, lastZxid: before))
    }

    /// Undoes transactions applied with `applyUndoably`, given oldest first, with nothing
    /// applied after them.
    mutating func undo(_ undos: [Undo]) {
        for undo in undos.reversed() {
            tree.restore(undo.journal)
            if let session = undo.session { sessions[session.id] = session.timeout }
            lastZxid = undo.lastZxid
        }
    }

    /// What applying one transaction did: a result per op (one for a plain txn, one per part
    /// of a multi) and the events for watches, in order.
    struct Outcome: Sendable {
        var results: [OpResult] = []
        var events: [TreeEvent] = []
    }

    enum OpResult: Sendable, Equatable {
        case created(path: String, stat: Stat)
        case deleted
        case dataSet(Stat)
        case aclSet(Stat)
        case checked
        case session
        case failed(ErrorCode)
    }

    /// Applies `txn`. A part that cannot apply is reported as failed; a multi then leaves no
    /// trace. That cannot happen to a logged multi applied to the state it was prepared on.
    ///
    /// `replaying`: the transaction is being replayed onto a snapshot that may already hold
    /// its effects (ZooKeeper's snapshots are fuzzy: nodes are written while transactions
    /// continue). Then, as ZooKeeper's `DataTree.processTxn` does, each part of a multi is
    /// applied on its own and a part that fails — it was already applied — is skipped, so the
    /// parts the snapshot missed are not lost with it.
    @discardableResult
    mutating func apply(_ txn: Txn, replaying: Bool = false) -> Outcome {
        var outcome = Outcome()
        if case .multi(let parts) = txn.body, replaying {
            for part in parts { applyPart(part, txn, into: &outcome) }
        } else if case .multi(let parts) = txn.body {
            tree.beginJournal()
            for part in parts {
                applyPart(part, txn, into: &outcome)
            }
            let failed = outcome.results.contains { if case .failed = $0 { true } else { false } }
            tree.endJournal(keep: !failed)
            if failed { outcome.events = [] }
        } else {
            applyPart(txn.body, txn, into: &outcome)
        }
        if txn.zxid > lastZxid && trialBase == nil { lastZxid = txn.zxid }
        return outcome
    }

    private mutating func applyPart(_ body: TxnBody, _ txn: Txn, into outcome: inout Outcome) {
        do throws(ErrorCode) {
            switch body {
            case .createSession(let timeout):
                sessions[txn.sessionId] = timeout
                outcome.results.append(.session)
            case .closeSession:
                for path in (tree.ephemerals[txn.sessionId] ?? []).sorted(by: >) {
                    outcome.events += try tree.delete(path: path, zxid: txn.zxid)
                }
                sessions[txn.sessionId] = nil
                outcome.results.append(.session)
            case .create(let path, let data, let acl, let owner, let parentCVersion):
                let (stat, events) = try tree.create(
                    path: path, data: data, acl: acl, ephemeralOwner: owner, parentCVersion: parentCVersion,
                    zxid: txn.zxid, time: txn.time)
                outcome.results.append(.created(path: path, stat: stat))
                outcome.events += events
            case .delete(let path):
                outcome.events += try tree.delete(path: path, zxid: txn.zxid)
                outcome.results.append(.deleted)
            case .setData(let path, let data, let version):
                let (stat, events) = try tree.setData(path: path, data: data, version: version, zxid: txn.zxid, time: txn.time)
                outcome.results.append(.dataSet(stat))
                outcome.events += events
            case .setACL(let path, let acl, let version):
                outcome.results.append(.aclSet(try tree.setACL(path: path, acl: acl, version: version)))
            case .check(let path, _):
                guard tree.node(path) != nil else { throw .noNode }
                outcome.results.append(.checked)
            case .error(let code):
                outcome.results.append(.failed(ErrorCode(rawValue: code) ?? .systemError))
            case .multi:
                throw .marshallingError
            }
        } catch {
            outcome.results.append(.failed(error))
        }
    }
}
