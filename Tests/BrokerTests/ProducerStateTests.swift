import Foundation
import Testing

@testable import Broker

@Suite struct ProducerStateTests {
    typealias Header = ProducerStateManager.BatchHeader

    func batch(_ seq: Int32, count: Int32 = 5, epoch: Int16 = 0, id: Int64 = 7) -> Header {
        Header(producerId: id, epoch: epoch, baseSequence: seq, lastOffsetDelta: count - 1, maxTimestamp: 1000 + Int64(seq))
    }

    @Test func duplicatesGapsAndFencing() {
        var state = ProducerStateManager()
        #expect(state.check(batch(0)) == .append)
        state.record(batch(0), firstOffset: 100)
        state.record(batch(5), firstOffset: 105)
        #expect(state.check(batch(0)) == .duplicate(firstOffset: 100, lastOffset: 104))
        #expect(state.check(batch(5)) == .duplicate(firstOffset: 105, lastOffset: 109))
        #expect(state.check(batch(10)) == .append)
        if case .outOfOrder = state.check(batch(12)) {} else { Issue.record("a gap must be refused") }
        if case .staleEpoch = state.check(batch(10, epoch: -1)) {} else { Issue.record("an old epoch must be fenced") }
        #expect(state.check(batch(0, epoch: 1)) == .append)
        if case .outOfOrder = state.check(batch(3, epoch: 1)) {} else { Issue.record("a new epoch starts at 0") }
        #expect(state.check(batch(42, id: 8)) == .append)
    }

    @Test func onlyTheLastFiveBatchesAreRemembered() {
        var state = ProducerStateManager()
        for i in 0..<8 { state.record(batch(Int32(i * 5)), firstOffset: Int64(i * 5)) }
        #expect(state.producers[7]?.batches.count == 5)
        #expect(state.check(batch(0)) != .duplicate(firstOffset: 0, lastOffset: 4))
        #expect(state.check(batch(35)) == .duplicate(firstOffset: 35, lastOffset: 39))
    }

    @Test func sequencesWrapAtIntMax() {
        var state = ProducerStateManager()
        let last = Header(producerId: 1, epoch: 0, baseSequence: Int32.max - 1, lastOffsetDelta: 1, maxTimestamp: 0)
        #expect(last.lastSequence == Int32.max)
        state.record(last, firstOffset: 0)
        #expect(state.check(Header(producerId: 1, epoch: 0, baseSequence: 0, lastOffsetDelta: 0, maxTimestamp: 0)) == .append)
    }

    @Test func expiryAndTruncation() {
        var state = ProducerStateManager()
        state.record(batch(0, id: 1), firstOffset: 0)
        state.record(Header(producerId: 2, epoch: 0, baseSequence: 0, lastOffsetDelta: 0, maxTimestamp: 50_000), firstOffset: 5)
        state.expire(now: 60_000, expirationMs: 30_000)
        #expect(Array(state.producers.keys) == [2])
        state.truncate(from: 5)
        #expect(state.producers.isEmpty)
    }

    @Test func snapshotsRoundTripAndRefuseDamage() throws {
        var state = ProducerStateManager()
        state.record(batch(0, id: 1), firstOffset: 10)
        state.record(batch(5, id: 1), firstOffset: 15)
        state.record(batch(0, epoch: 3, id: 2), firstOffset: 20)
        let bytes = ProducerSnapshot.encode(state)
        let restored = try ProducerSnapshot.decode(bytes)
        #expect(restored.producers[1]?.batches == [.init(firstSequence: 5, lastSequence: 9, firstOffset: 15, lastOffset: 19, timestamp: 1005)])
        #expect(restored.producers[2]?.epoch == 3)
        #expect(restored.check(batch(5, id: 1)) == .duplicate(firstOffset: 15, lastOffset: 19))
        #expect(restored.check(batch(10, id: 1)) == .append)
        var damaged = bytes
        damaged[damaged.count - 1] ^= 0xFF
        #expect(throws: ProducerSnapshot.Failure.checksumMismatch) { try ProducerSnapshot.decode(damaged) }
        #expect(throws: ProducerSnapshot.Failure.self) { try ProducerSnapshot.decode(Array(bytes.prefix(5))) }
        #expect(ProducerSnapshot.fileName(offset: 42) == "00000000000000000042.snapshot")
    }

    @Test func producerIdsComeInPersistedBlocks() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-pid-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let backend = try LocalMetadataBackend(root: dir)
        let first = ProducerIdManager(backend: backend, brokerId: 0)
        #expect(try first.nextId() == 0)
        #expect(try first.nextId() == 1)
        let afterRestart = ProducerIdManager(backend: backend, brokerId: 0)
        #expect(try afterRestart.nextId() == 1000)
    }
}
