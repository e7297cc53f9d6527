import Testing
import Wire

@testable import Broker

@Suite struct FetchSessionCacheTests {
    typealias Key = FetchSessionCache.Key
    let a = Key(topic: "t", topicId: .zero, partition: 0)
    let b = Key(topic: "t", topicId: .zero, partition: 1)
    func fetch(_ offset: Int64) -> FetchSessionCache.PartitionFetch {
        .init(fetchOffset: offset, maxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1)
    }

    @Test func initialIncrementalAndClose() {
        let cache = FetchSessionCache(capacity: 10)
        let (opened, all) = cache.resolve(sessionId: 0, epoch: 0, partitions: [(a, fetch(0)), (b, fetch(0))], forgotten: [])
        guard case .full(let id) = opened, id != 0 else { Issue.record("expected a new session, got \(opened)"); return }
        #expect(all.map(\.0) == [a, b])

        // Epoch 1 moves a only; the session still fetches both, in their first order.
        let (inc, parts) = cache.resolve(sessionId: id, epoch: 1, partitions: [(a, fetch(5))], forgotten: [])
        #expect(inc == .incremental(sessionId: id))
        #expect(parts.map(\.0) == [a, b] && parts[0].1.fetchOffset == 5 && parts[1].1.fetchOffset == 0)

        // Only what changed is reported: first sight counts as a change, then nothing new.
        #expect(cache.note(sessionId: id, key: b, highWatermark: 10, logStartOffset: 0, hasRecords: false, errorCode: 0))
        #expect(!cache.note(sessionId: id, key: b, highWatermark: 10, logStartOffset: 0, hasRecords: false, errorCode: 0))
        #expect(cache.note(sessionId: id, key: b, highWatermark: 11, logStartOffset: 0, hasRecords: false, errorCode: 0))

        // Forgetting a partition; then a wrong epoch; then closing.
        let (_, left) = cache.resolve(sessionId: id, epoch: 2, partitions: [], forgotten: [a])
        #expect(left.map(\.0) == [b])
        #expect(cache.resolve(sessionId: id, epoch: 9, partitions: [], forgotten: []).0 == .error(71))
        #expect(cache.resolve(sessionId: id, epoch: -1, partitions: [(a, fetch(1))], forgotten: []).0 == .full(sessionId: 0))
        #expect(cache.resolve(sessionId: id, epoch: 4, partitions: [], forgotten: []).0 == .error(70))
    }

    @Test func sessionlessAndFullCache() {
        let none = FetchSessionCache(capacity: 0)
        #expect(none.resolve(sessionId: 0, epoch: 0, partitions: [(a, fetch(0))], forgotten: []).0 == .full(sessionId: 0))
        let small = FetchSessionCache(capacity: 2)
        for _ in 0..<5 { _ = small.resolve(sessionId: 0, epoch: 0, partitions: [(a, fetch(0))], forgotten: []) }
        #expect(small.count == 2)
        #expect(small.resolve(sessionId: 0, epoch: -1, partitions: [(a, fetch(0))], forgotten: []).0 == .full(sessionId: 0))
        #expect(FetchSessionCache.next(Int32.max) == 1)
    }
}
