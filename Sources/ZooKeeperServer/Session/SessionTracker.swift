/// When each session expires (ZooKeeper's `SessionTrackerImpl` with its `ExpiryQueue`).
///
/// Expiry times are rounded up to the next multiple of `tickTime`, so sessions fall into
/// buckets and one check per tick expires a whole bucket. Any packet from a session's client
/// (a ping included) moves it to a later bucket. Times are milliseconds of a monotonic clock,
/// passed in, so tests drive time by hand.
///
/// Local state of the node serving the sessions: the session table itself (ids and timeouts)
/// lives in the replicated `ZKDatabase`.
struct SessionTracker: Sendable {
    let tickTime: Int64
    private var expiry: [Int64: Int64] = [:]
    private var timeouts: [Int64: Int32] = [:]
    private var buckets: [Int64: Set<Int64>] = [:]
    /// Sessions whose close has been decided: they are no longer touched nor expired again.
    private var closing: Set<Int64> = []

    init(tickTime: Int) {
        self.tickTime = Int64(max(tickTime, 1))
    }

    var count: Int { expiry.count }
    var sessions: Dictionary<Int64, Int32>.Keys { timeouts.keys }

    func contains(_ session: Int64) -> Bool { expiry[session] != nil }
    func isClosing(_ session: Int64) -> Bool { closing.contains(session) }
    func timeout(of session: Int64) -> Int32? { timeouts[session] }

    /// Starts tracking (a new session, or one loaded from disk), expiring one timeout from now.
    mutating func add(_ session: Int64, timeout: Int32, now: Int64) {
        timeouts[session] = timeout
        closing.remove(session)
        move(session, to: roundUp(now + Int64(timeout)))
    }

    /// Pushes the session's expiry to a timeout from now (and adopts a newly negotiated
    /// timeout). False when the session is unknown or closing.
    @discardableResult
    mutating func touch(_ session: Int64, now: Int64, timeout: Int32? = nil) -> Bool {
        guard let current = timeouts[session], !closing.contains(session) else { return false }
        if let timeout { timeouts[session] = timeout }
        move(session, to: roundUp(now + Int64(timeout ?? current)))
        return true
    }

    mutating func markClosing(_ session: Int64) {
        if timeouts[session] != nil { closing.insert(session) }
    }

    mutating func remove(_ session: Int64) {
        if let old = expiry.removeValue(forKey: session) { removeFromBucket(session, old) }
        timeouts[session] = nil
        closing.remove(session)
    }

    /// Sessions whose expiry time has passed, not yet closing. They are marked closing.
    mutating func expire(now: Int64) -> [Int64] {
        var result: [Int64] = []
        for (time, sessions) in buckets where time <= now {
            buckets[time] = nil
            for session in sessions.sorted() where !closing.contains(session) {
                expiry[session] = nil
                closing.insert(session)
                result.append(session)
            }
        }
        return result
    }

    /// The next expiry instant, for whoever schedules the checks.
    var nextExpiry: Int64? { buckets.keys.min() }

    private func roundUp(_ time: Int64) -> Int64 {
        (time / tickTime + 1) * tickTime
    }

    private mutating func move(_ session: Int64, to time: Int64) {
        let old = expiry[session]
        if old == time { return }
        if let old { removeFromBucket(session, old) }
        expiry[session] = time
        buckets[time, default: []].insert(session)
    }

    private mutating func removeFromBucket(_ session: Int64, _ time: Int64) {
        buckets[time]?.remove(session)
        if buckets[time]?.isEmpty == true { buckets[time] = nil }
    }
}
