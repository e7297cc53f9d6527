/// The node's view of its transaction log: the snapshot it starts from and the entries after
/// it, in zxid order. It mirrors what the host has on disk (the host is told of every change
/// through effects) and is what the leader sends followers from. Entries up to the last
/// snapshot are dropped by `compact`; a follower needing them gets the snapshot instead.
///
/// **Memory.** Every zxid since the snapshot stays, but the payloads of entries that are
/// committed, durable and older than the newest few are let go (`trim`): the log files hold
/// them, and the host reads them back when a DIFF needs them (an entry with an empty payload
/// is such a trimmed one: a real payload, an encoded transaction, is never empty). So memory
/// does not grow with `snapCount`, as ZooKeeper keeps only its last 500 proposals in memory.
struct QuorumLog: Sendable {
    /// The latest snapshot; entries start right after its zxid. `nil` for the empty state.
    private(set) var snapshot: QuorumSnapshot?
    private(set) var entries: [QuorumEntry]
    /// Entries before this index have had their payloads trimmed.
    private var trimmedCount = 0

    init(snapshot: QuorumSnapshot?, entries: [QuorumEntry]) {
        self.snapshot = snapshot
        let base = snapshot?.zxid ?? .zero
        self.entries = entries.filter { $0.zxid > base }
    }

    var baseZxid: Zxid { snapshot?.zxid ?? .zero }
    var lastZxid: Zxid { entries.last?.zxid ?? baseZxid }

    /// Whether the log reaches `zxid` exactly: it is the base or one of the entries.
    func contains(_ zxid: Zxid) -> Bool {
        zxid == baseZxid || index(of: zxid) != nil
    }

    func entry(_ zxid: Zxid) -> QuorumEntry? {
        index(of: zxid).map { entries[$0] }
    }

    /// The entries after `zxid` (which must be at or above the base).
    func entries(after zxid: Zxid) -> ArraySlice<QuorumEntry> {
        entries[firstIndex(above: zxid)...]
    }

    /// The entries in `(from, through]`.
    func entries(after from: Zxid, through: Zxid) -> ArraySlice<QuorumEntry> {
        entries[firstIndex(above: from)..<firstIndex(above: through)]
    }

    /// The greatest zxid the log reaches that is at most `zxid`, or nil below the base.
    func greatestZxid(atMost zxid: Zxid) -> Zxid? {
        if zxid < baseZxid { return nil }
        let index = firstIndex(above: zxid)
        return index == 0 ? baseZxid : entries[index - 1].zxid
    }

    /// Lets go of the payloads of the entries up to `zxid` but the last `keep` of them.
    mutating func trim(through zxid: Zxid, keep: Int) {
        let end = firstIndex(above: zxid) - keep
        guard end > trimmedCount else { return }
        for index in trimmedCount..<end { entries[index].payload = [] }
        trimmedCount = end
    }

    mutating func append(_ entry: QuorumEntry) {
        entries.append(entry)
    }

    /// Drops the entries after `zxid`.
    mutating func truncate(after zxid: Zxid) {
        entries.removeSubrange(firstIndex(above: zxid)...)
        trimmedCount = min(trimmedCount, entries.count)
    }

    /// Starts over from `snapshot`: everything before is gone.
    mutating func reset(to snapshot: QuorumSnapshot) {
        self.snapshot = snapshot
        entries = []
        trimmedCount = 0
    }

    /// Lets go of the snapshot's bytes, which its store holds in a file: only its zxid stays,
    /// and a SNAP reads the bytes back (see `QuorumNode`). Empty bytes mean "in the store".
    mutating func releaseSnapshotBytes() {
        snapshot?.data = []
    }

    /// Keeps `snapshot` and drops the entries it covers.
    mutating func compact(to snapshot: QuorumSnapshot) {
        let dropped = firstIndex(above: snapshot.zxid)
        entries.removeSubrange(..<dropped)
        trimmedCount = max(trimmedCount - dropped, 0)
        self.snapshot = snapshot
    }

    private func index(of zxid: Zxid) -> Int? {
        let index = firstIndex(above: zxid)
        return index > 0 && entries[index - 1].zxid == zxid ? index - 1 : nil
    }

    /// Binary search: the index of the first entry with a zxid above `zxid`.
    private func firstIndex(above zxid: Zxid) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].zxid <= zxid { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
