import Foundation
import Testing

@testable import ZooKeeperServer

/// Random operation sequences against `QuorumFileStore`, checked against a model of what the
/// log must hold: appends (new epochs now and then), syncs, truncations to any zxid the peer
/// could ask for, snapshot installs ahead of the log, rolls (as after a compaction), clean
/// reopens and crashes (the store dropped without a close), and torn tails written after the
/// last durable record. After every reopen the recovered entries and snapshot must be the
/// model's, and DIFF reads from the files must match it.
///
/// Seeds 1...5 run by default; `QUORUM_STORE_SEEDS=200` runs seeds 1...200.
@Suite struct QuorumFileStorePropertyTests {
    static var seeds: [UInt64] {
        let count = ProcessInfo.processInfo.environment["QUORUM_STORE_SEEDS"].flatMap(UInt64.init) ?? 5
        return Array(1...max(count, 1))
    }

    /// What the files must give back.
    struct Model {
        var snapshot: Zxid?
        var entries: [QuorumEntry] = []
        var lastZxid: Zxid { entries.last?.zxid ?? snapshot ?? .zero }
    }

    @Test(arguments: seeds)
    func reopenedStoreHoldsWhatTheModelHolds(seed: UInt64) throws {
        let dir = ZKTempDir("quorum-store-property-\(seed)")
        defer { dir.remove() }
        var random = ZKSeededRandom(seed: seed)
        // Any valid snapshot file's bytes will do: the store keeps them under the zxid it is told.
        let snapshotBytes = try QuorumFileStoreClusterTests.snapshotBytes(dir)
        var model = Model()
        var (store, _) = try QuorumFileStoreTests.open(dir)
        var history: [String] = []
        for step in 0..<300 {
            let roll = Int.random(in: 0..<100, using: &random)
            switch roll {
            case ..<45:
                var next = model.lastZxid
                var batch: [QuorumEntry] = []
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    // A new leader's epoch starts at counter 1.
                    next = Int.random(in: 0..<10, using: &random) == 0 ? Zxid(epoch: next.epoch + 1, counter: 1) : Zxid(value: next.value + 1)
                    batch.append(QuorumFileStoreTests.entry(next.epoch, next.counter))
                }
                try store.append(batch)
                model.entries += batch
                history.append("append \(batch.map(\.zxid))")
            case ..<60:
                try store.sync()
                history.append("sync")
            case ..<70:
                // The peer cuts to its base or to one of its entries.
                let choices = [model.snapshot ?? .zero] + model.entries.map(\.zxid)
                let cut = choices[Int.random(in: 0..<choices.count, using: &random)]
                try store.truncate(after: cut)
                model.entries.removeAll { $0.zxid > cut }
                history.append("truncate after \(cut)")
            case ..<74:
                let zxid = Zxid(epoch: model.lastZxid.epoch + 1, counter: UInt32.random(in: 1...3, using: &random))
                try store.install(QuorumSnapshot(zxid: zxid, data: snapshotBytes))
                model = Model(snapshot: zxid)
                history.append("install \(zxid)")
            case ..<80:
                try store.compacted(to: QuorumSnapshot(zxid: model.lastZxid, data: []))
                history.append("roll")
            case ..<86:
                // A DIFF from the files for a follower at one of the entries.
                guard let from = model.entries.randomElement(using: &random) else { continue }
                let read = try store.loggedEntries(after: from.zxid)
                let expected = model.entries.filter { $0.zxid > from.zxid }
                #expect(read?.map(\.zxid) == expected.map(\.zxid), "seed \(seed) step \(step) diff after \(from.zxid): \(history.suffix(12))")
                #expect(read == expected)
            default:
                let kind = Int.random(in: 0..<3, using: &random)
                if kind == 0 { try store.close() }  // else a crash: the page cache keeps what was written
                if kind == 2 {
                    try store.sync()
                    Self.tearTail(dir, random: &random)
                }
                history.append(["reopen", "crash", "crash with a torn tail"][kind])
                let contents: QuorumFileStore.Contents
                (store, contents) = try QuorumFileStoreTests.open(dir)
                #expect(contents.snapshot?.zxid == model.snapshot, "seed \(seed) step \(step): \(history.suffix(12))")
                #expect(contents.entries.map(\.zxid) == model.entries.map(\.zxid), "seed \(seed) step \(step): \(history.suffix(12))")
                // Stop at the first difference: every later step would report it again.
                guard contents.entries == model.entries else { return }
            }
        }
    }

    /// Writes the start of a record that never finished after the newest file's last record,
    /// as a crash in the middle of a write leaves it.
    static func tearTail(_ dir: ZKTempDir, random: inout ZKSeededRandom) {
        guard let newest = StorageFiles.list(dir.logs, prefix: "log.").last else { return }
        var bytes = dir.bytes(newest.path)
        guard bytes.count >= StorageFiles.headerSize else { return }
        let end = TxnLogScan(bytes, after: Int64.min, previous: Int64.min).end
        let torn: [UInt8] = (0..<Int.random(in: 1...20, using: &random)).map { _ in UInt8.random(in: 1...255, using: &random) }
        if bytes.count < end + torn.count { bytes += [UInt8](repeating: 0, count: end + torn.count - bytes.count) }
        bytes.replaceSubrange(end..<(end + torn.count), with: torn)
        dir.write(bytes, to: newest.path)
    }
}
