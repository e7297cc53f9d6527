import Synchronization

/// One leader epoch and the first offset written in it.
public struct EpochEntry: Sendable, Equatable {
    public var epoch: Int32
    public var startOffset: Int64

    public init(epoch: Int32, startOffset: Int64) {
        self.epoch = epoch
        self.startOffset = startOffset
    }
}

/// The leader-epoch cache of a partition: for each leader epoch, the first offset written in it.
/// Followers use it (OffsetForLeaderEpoch) to find where their log diverges from the leader's.
///
/// Persisted in `leader-epoch-checkpoint` in the partition directory on every change:
///
///     0                 version
///     2                 number of entries
///     0 0               epoch startOffset, epochs and offsets both increasing
///     3 1500
///
/// Epochs and start offsets strictly increase; an assignment that breaks that order replaces
/// the entries it conflicts with (as Kafka's LeaderEpochFileCache does).
final class LeaderEpochCache: Sendable {
    let path: String
    private let entries: Mutex<[EpochEntry]>

    init(path: String, entries: [EpochEntry]) {
        self.path = path
        self.entries = Mutex(entries)
    }

    /// Reads the checkpoint; a missing file is an empty cache, a malformed one an error.
    static func load(directory: String) throws(CheckpointError) -> LeaderEpochCache {
        let path = directory + "/" + SegmentFileNames.leaderEpochCheckpoint
        guard Posix.exists(path) else { return LeaderEpochCache(path: path, entries: []) }
        let bytes: [UInt8]
        do { bytes = try Posix.readSmallFile(path) } catch { throw CheckpointError(path: path, detail: error.description) }
        var result: [EpochEntry] = []
        for fields in try CheckpointText.decode(bytes, path: path, fields: 2) {
            guard let epoch = Int32(fields[0]), epoch >= 0, let offset = Int64(fields[1]), offset >= 0 else {
                throw CheckpointError(path: path, detail: "bad entry \(fields.joined(separator: " ").prefix(40))")
            }
            if let last = result.last, epoch <= last.epoch || offset < last.startOffset {
                throw CheckpointError(path: path, detail: "entries out of order at epoch \(epoch)")
            }
            result.append(EpochEntry(epoch: epoch, startOffset: offset))
        }
        return LeaderEpochCache(path: path, entries: result)
    }

    var all: [EpochEntry] { entries.withLock { $0 } }
    var latest: EpochEntry? { entries.withLock { $0.last } }

    /// Records that `epoch` starts at `startOffset`, if that is news. Returns whether it was.
    @discardableResult
    func assign(epoch: Int32, startOffset: Int64) throws(SystemError) -> Bool {
        guard epoch >= 0 else { return false }
        let changed = entries.withLock { list -> Bool in
            if let last = list.last, last.epoch >= epoch && last.startOffset <= startOffset { return false }
            list.removeAll { $0.epoch >= epoch || $0.startOffset >= startOffset }
            list.append(EpochEntry(epoch: epoch, startOffset: startOffset))
            return true
        }
        if changed { try persist() }
        return changed
    }

    /// Drops entries starting at or after `endOffset` (the log was truncated to it).
    func truncateFromEnd(endOffset: Int64) throws(SystemError) {
        let changed = entries.withLock { list -> Bool in
            let before = list.count
            list.removeAll { $0.startOffset >= endOffset }
            return list.count != before
        }
        if changed { try persist() }
    }

    /// The log now starts at `startOffset`: entries wholly before it go, and the entry in force
    /// there is moved up to start at it.
    func truncateFromStart(startOffset: Int64) throws(SystemError) {
        let changed = entries.withLock { list -> Bool in
            guard let floor = list.lastIndex(where: { $0.startOffset <= startOffset }) else { return false }
            if floor == 0 && list[0].startOffset == startOffset { return false }
            var kept = Array(list[floor...])
            kept[0].startOffset = startOffset
            let changed = kept != list
            list = kept
            return changed
        }
        if changed { try persist() }
    }

    func clear() throws(SystemError) {
        entries.withLock { $0.removeAll() }
        try persist()
    }

    /// OffsetForLeaderEpoch: the largest epoch at or below `requested` and the offset where the
    /// epoch after it begins (or the log end offset for the latest epoch). (-1, -1) when
    /// `requested` is above every epoch known here, or undefined.
    func endOffset(for requested: Int32, logEndOffset: Int64) -> (epoch: Int32, endOffset: Int64) {
        let list = entries.withLock { $0 }
        guard requested >= 0, let latest = list.last else { return (-1, -1) }
        if requested == latest.epoch { return (requested, logEndOffset) }
        guard let higher = list.first(where: { $0.epoch > requested }) else { return (-1, -1) }
        if let floor = list.last(where: { $0.epoch <= requested }) { return (floor.epoch, higher.startOffset) }
        return (requested, higher.startOffset)
    }

    func persist() throws(SystemError) {
        let lines = all.map { "\($0.epoch) \($0.startOffset)" }
        try Posix.writeFileAtomically(path, CheckpointText.encode(lines))
    }
}
