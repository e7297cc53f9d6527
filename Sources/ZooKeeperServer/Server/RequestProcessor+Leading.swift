import Network
import ZooKeeperProtocol

/// A leader's side: followers' requests are decided here like this node's own clients'
/// (ZooKeeper's `LearnerHandler` feeding the leader's `PrepRequestProcessor`), the leader
/// alone expires sessions, and it keeps what undoes its uncommitted writes, to fall back to the
/// committed state if it stops leading with writes undecided.
extension RequestProcessor {
    func leaderHandleForwarded(from peer: PeerID, payload: [UInt8]) {
        onQueue { [self] in
            guard ensemble.mode == .leading, let request = try? ForwardedRequest.decode(payload) else { return }
            now = MonotonicClock.milliseconds()
            switch request {
            case .createSession(let session, let timeout):
                // A repeat (the follower asked again) changes nothing.
                guard database.sessions[session] == nil else { return }
                commit(.createSession(timeout: timeout), session: session, cxid: 0)
                tracker.add(session, timeout: timeout, now: now)
            case .touches(let touches):
                for touch in touches { _ = tracker.touch(touch.session, now: now, timeout: touch.timeout) }
            case .request(let session, let ids, let frame):
                guard case .request(let header, let decoded) = ZooKeeperFrameHandler.decode(frame, first: false), decoded.isWrite else { return }
                guard tracker.contains(session), !tracker.isClosing(session) else {
                    // The follower waits for a transaction with this xid: it must get one.
                    commit(.error(ErrorCode.sessionExpired.rawValue), session: session, cxid: header.xid)
                    break
                }
                let info = ConnectionInfo(id: 0, remoteHost: "server.\(peer)", remotePort: 0, listenerName: "QUORUM")
                let connection = ClientConnection(info: info, channel: nil)
                connection.sessionId = session
                connection.timeout = tracker.timeout(of: session) ?? 0
                connection.ids = ids
                outstanding += 1
                // The follower answers its client itself, from the committed transaction.
                handleRequest(.request(header, decoded), RequestContext(connection: connection, reply: { _ in }, received: .now))
            }
            flush()
        }
    }

    /// The leader's transactions through `zxid` committed: they are never undone.
    func confirm(through zxid: Int64) {
        onQueue { [self] in
            guard ensemble.mode == .leading else { return }
            let committed = ensemble.unconfirmed.firstIndex { $0.zxid > zxid } ?? ensemble.unconfirmed.count
            ensemble.unconfirmed.removeFirst(committed)
        }
    }
}
