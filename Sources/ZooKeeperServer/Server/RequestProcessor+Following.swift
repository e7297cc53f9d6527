import ZooKeeperProtocol

/// A follower's side (ZooKeeper's `FollowerRequestProcessor` and `CommitProcessor`): writes,
/// new sessions and `sync`s go to the leader; the processor answers them when their
/// transactions commit here, in the leader's order. A session's requests are answered in the
/// order it sent them: a read waits behind the session's writes still being decided.
///
/// **Replay.** A forwarded write is answered by running the same handler as on the leader,
/// once its transaction has committed, with `ensemble.replaying` set: `commit` then applies
/// the committed transaction instead of deciding one. This node's database is then exactly
/// the one the leader decided against, so the handler reaches the same result and builds the
/// same reply.
extension RequestProcessor {
    func followerReceive(_ incoming: Incoming, _ context: RequestContext) {
        let connection = context.connection
        let session = connection.sessionId
        ensemble.touched[session] = connection.timeout
        let kind: QueuedRequest.Kind
        switch incoming {
        case .request(let header, let request) where request.isWrite:
            let forwarded = ForwardedRequest.request(session: session, ids: connection.ids, frame: request.encodedFrame(xid: header.xid))
            ensemble.link?.forward(forwarded.encoded())
            kind = .write(xid: header.xid)
        case .request(_, .sync):
            let token = ensemble.nextSyncToken
            ensemble.nextSyncToken += 1
            ensemble.syncSessions[token] = session
            ensemble.link?.requestSync(token: token)
            kind = .sync(token: token, done: false)
        default:
            kind = .read
        }
        if kind == .read && ensemble.queues[session, default: []].isEmpty {
            return handleRequest(incoming, context)
        }
        ensemble.queues[session, default: []].append(QueuedRequest(kind: kind, incoming: incoming, context: context))
    }

    /// Committed transactions, in order: answers this node's waiting requests, applies the
    /// rest (firing this node's clients' watches).
    func applyCommitted(_ txns: [Txn]) {
        onQueue { [self] in
            now = MonotonicClock.milliseconds()
            for txn in txns { applyCommitted(txn) }
            // A follower snapshots what it applied too, so its own log is compacted.
            if ensemble.mode != .leading { txnsSinceSnapshot += txns.count }
            flush()
        }
    }

    private func applyCommitted(_ txn: Txn) {
        let session = txn.sessionId
        if ensemble.mode == .following, case .createSession(let timeout) = txn.body,
            let pending = ensemble.pendingConnects.removeValue(forKey: session)
        {
            database.apply(txn)
            let connection = pending.context.connection
            bind(connection, to: session, timeout: timeout)
            let response = ConnectResponse(timeOut: timeout, sessionId: session, passwd: SessionIdentity.password(for: session), readOnly: pending.readOnly)
            return finish(pending.context, .frame(Frames.connectResponse(response)), op: "SESS")
        }
        if ensemble.mode == .following, let head = ensemble.queues[session]?.first, case .write(let xid) = head.kind, xid == txn.cxid {
            ensemble.queues[session]?.removeFirst()
            ensemble.replaying = txn
            handleRequest(head.incoming, head.context)
            // A handler that refused before committing (it cannot, against the same state)
            // still leaves the transaction applied.
            if let left = ensemble.replaying {
                ensemble.replaying = nil
                applyForeign(left)
            }
            return drain(session)
        }
        applyForeign(txn)
    }

    /// A transaction nobody here waits for: apply it; a closed session's connection closes.
    private func applyForeign(_ txn: Txn) {
        let outcome = database.apply(txn)
        notify(outcome.events)
        guard case .closeSession = txn.body else { return }
        let session = txn.sessionId
        tracker.remove(session)
        ensemble.queues[session] = nil
        if let owner = sessionOwners.removeValue(forKey: session), let connection = connections[owner] {
            closeAfterReplies(connection, reason: "session 0x\(String(UInt64(bitPattern: session), radix: 16)) closed")
        }
    }

    /// Answers a session's requests that no longer wait for anything.
    private func drain(_ session: Int64) {
        while let head = ensemble.queues[session]?.first {
            switch head.kind {
            case .read, .sync(_, done: true):
                ensemble.queues[session]?.removeFirst()
                handleRequest(head.incoming, head.context)
            case .write, .sync(_, done: false):
                return
            }
        }
        ensemble.queues[session] = nil
    }

    func followerSyncCompleted(token: UInt64) {
        onQueue { [self] in
            if let pending = ensemble.revalidating.removeValue(forKey: token) {
                handleConnect(pending.request, pending.context, revalidated: true)
                return flush()
            }
            guard let session = ensemble.syncSessions.removeValue(forKey: token), var waiting = ensemble.queues[session] else { return }
            guard let index = waiting.firstIndex(where: { $0.kind == .sync(token: token, done: false) }) else { return }
            waiting[index].kind = .sync(token: token, done: true)
            ensemble.queues[session] = waiting
            drain(session)
            flush()
        }
    }

    /// A sync that cannot complete: its client must reconnect (to a server with a leader).
    func followerSyncAborted(tokens: [UInt64]) {
        onQueue { [self] in
            for token in tokens {
                if let pending = ensemble.revalidating.removeValue(forKey: token) {
                    finish(pending.context, .close(reason: "could not look up the session with the leader: it was lost"))
                    continue
                }
                guard let session = ensemble.syncSessions.removeValue(forKey: token), let owner = sessionOwners[session],
                    let connection = connections[owner]
                else { continue }
                closeAfterReplies(connection, reason: "sync aborted: the leader was lost")
            }
            flush()
        }
    }

    /// Tells the leader which sessions were heard from (every half tick).
    func reportTouches() {
        guard !ensemble.touched.isEmpty else { return }
        let touches = ensemble.touched.map { ForwardedRequest.Touch(session: $0.key, timeout: $0.value) }
        ensemble.touched = [:]
        ensemble.link?.forward(ForwardedRequest.touches(touches).encoded())
    }
}
