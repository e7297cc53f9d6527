/// Role changes (ZooKeeper restarts its server whenever a member changes role): every client
/// connection is dropped, so clients reconnect and find a server that serves; a node that
/// stops leading falls back to its committed state, since what it applied but had not
/// committed may never commit; a new leader starts every session's timer afresh, so sessions
/// (and their ephemeral nodes) survive a leader change while their clients come back.
extension RequestProcessor: QuorumCommitterHost {
    func roleChanged(_ mode: ServingMode) {
        onQueue { [self] in changeMode(to: mode) }
    }

    func forwarded(from peer: PeerID, payload: [UInt8]) {
        leaderHandleForwarded(from: peer, payload: payload)
    }

    func syncCompleted(token: UInt64) {
        followerSyncCompleted(token: token)
    }

    func syncAborted(tokens: [UInt64]) {
        followerSyncAborted(tokens: tokens)
    }

    /// The state now is the snapshot's (the entries after it follow as they commit): clients
    /// reconnect to it, as ZooKeeper's do when a follower loads a SNAP.
    func snapshotInstalled(_ snapshot: QuorumSnapshot) {
        onQueue { [self] in
            do {
                database = try SnapshotFile.decode(
                    snapshot.data, zxid: snapshot.zxid.value, path: "the leader's snapshot", extendedTypes: config.extendedTypesEnabled)
            } catch {
                // The store holds it durably; the next start reads it again.
                logger.critical("cannot load the snapshot at \(snapshot.zxid) from the leader: \(error); serving nobody")
                return changeMode(to: .looking, force: true)
            }
            logger.info("loaded the leader's snapshot at \(snapshot.zxid)")
            ensemble.unconfirmed = []
            changeMode(to: ensemble.mode, force: true)
        }
    }

    /// On the queue. Also used before `start` to set the first mode. Changing to the same
    /// mode drops the connections only when `force`d or following (a new leader).
    func changeMode(to mode: ServingMode, force: Bool = false) {
        let old = ensemble.mode
        if old == mode && mode != .following && !force { return }
        logger.info("serving mode \(old.name) -> \(mode.name)")
        if old == .leading {
            database.undo(ensemble.unconfirmed)
        }
        // At once, not behind the committer: a leader that lost its place may never see its
        // outstanding writes commit, and closing reveals no state.
        for connection in connections.values where !connection.closing {
            connection.closing = true
            connection.channel?.close(reason: "this server changed role (\(old.name) -> \(mode.name)): reconnect")
        }
        sessionOwners = [:]
        ensemble.unconfirmed = []
        ensemble.replaying = nil
        ensemble.queues = [:]
        ensemble.pendingConnects = [:]
        ensemble.syncSessions = [:]
        ensemble.revalidating = [:]
        ensemble.touched = [:]
        outstanding = 0
        now = MonotonicClock.milliseconds()
        tracker = SessionTracker(tickTime: config.tickTime)
        if mode == .leading {
            for (session, timeout) in database.sessions { tracker.add(session, timeout: timeout, now: now) }
        }
        ensemble.mode = mode
        flush()
    }

    /// Before `start`: how this processor reaches its leader.
    func attach(link: any EnsembleLink) {
        queue.sync { ensemble.link = link }
    }
}
