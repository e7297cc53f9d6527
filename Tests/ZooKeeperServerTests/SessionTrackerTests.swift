import Testing
@testable import ZooKeeperServer

@Suite struct SessionTrackerTests {
    @Test func expiryIsRoundedUpToTheNextTick() {
        var tracker = SessionTracker(tickTime: 2000)
        tracker.add(1, timeout: 6000, now: 10_500)
        // 10 500 + 6 000 = 16 500 → the bucket at 18 000.
        #expect(tracker.nextExpiry == 18_000)
        #expect(tracker.expire(now: 17_999).isEmpty)
        #expect(tracker.expire(now: 18_000) == [1])
        #expect(tracker.isClosing(1))
        #expect(tracker.expire(now: 100_000).isEmpty, "expired once")
        #expect(tracker.touch(1, now: 18_001) == false, "a closing session is not revived")
        tracker.remove(1)
        #expect(!tracker.contains(1) && tracker.count == 0 && tracker.nextExpiry == nil)
    }

    @Test func touchingMovesASessionToALaterBucket() {
        var tracker = SessionTracker(tickTime: 1000)
        tracker.add(1, timeout: 4000, now: 0)
        tracker.add(2, timeout: 4000, now: 0)
        #expect(tracker.nextExpiry == 5000)
        #expect(tracker.touch(1, now: 3000) == true)
        #expect(tracker.expire(now: 5000) == [2])
        #expect(tracker.expire(now: 7999).isEmpty)
        #expect(tracker.expire(now: 8000) == [1])
        #expect(tracker.touch(99, now: 0) == false, "unknown session")
    }

    @Test func aNewlyNegotiatedTimeoutIsAdopted() {
        var tracker = SessionTracker(tickTime: 1000)
        tracker.add(7, timeout: 4000, now: 0)
        tracker.touch(7, now: 0, timeout: 20_000)
        #expect(tracker.timeout(of: 7) == 20_000)
        #expect(tracker.expire(now: 20_999).isEmpty)
        #expect(tracker.expire(now: 21_000) == [7])
    }

    @Test func markedClosingSessionsAreNotExpiredAgainAndReAddRevives() {
        var tracker = SessionTracker(tickTime: 1000)
        tracker.add(1, timeout: 2000, now: 0)
        tracker.add(2, timeout: 2000, now: 0)
        tracker.markClosing(1)
        #expect(tracker.expire(now: 10_000) == [2])
        tracker.add(1, timeout: 2000, now: 10_000)
        #expect(!tracker.isClosing(1))
        #expect(tracker.expire(now: 13_000) == [1])
        tracker.markClosing(42)
        #expect(!tracker.isClosing(42), "unknown sessions are not marked")
    }

    @Test func manySessionsExpireInIdOrderPerBucket() {
        var tracker = SessionTracker(tickTime: 500)
        for id in (1...50).reversed() { tracker.add(Int64(id), timeout: 1000, now: 0) }
        #expect(tracker.count == 50)
        #expect(tracker.expire(now: 1500) == (1...50).map { Int64($0) })
        #expect(Set(tracker.sessions) == Set((1...50).map { Int64($0) }))
    }
}
