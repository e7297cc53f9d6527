#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// One fixed-size entry of an index file.
protocol IndexEntry: Sendable, Equatable {
    static var size: Int { get }
    /// The entry at the start of `raw`, or nil for an unused (zero) slot.
    init?(raw: UnsafeRawBufferPointer, baseOffset: Int64)
    func encode(baseOffset: Int64, into bytes: inout [UInt8])
    /// The absolute offset the entry names.
    var offset: Int64 { get }
    /// Whether `self` may follow `previous` (both keys strictly increase in a sane index).
    func follows(_ previous: Self) -> Bool
}

/// An index file of fixed-size entries, kept in memory after the first use.
///
/// The file is preallocated to `maxEntries` slots (`segment.index.bytes`) while its segment is
/// active ("index full" is a roll condition) and trimmed to the entries in use when the segment
/// rolls or the log closes. New entries go to memory at once and to the file in groups
/// (`writeBehindEntries` at a time, and always before an fsync, a trim or a truncation): an
/// append then costs no system call for its index entry, which is what Kafka's memory-mapped
/// indexes buy it. A crash can lose only entries of data that was not flushed either, and
/// recovery rebuilds the indexes of every segment past the recovery point. Entries are read
/// lazily: opening thousands of partitions reads no index. An index is derived data: a file
/// that is missing or fails its sanity check is rebuilt from the segment (see `LogSegment`).
///
/// Concurrency: the appender adds entries and many readers look them up; every access is a
/// short critical section on `state`. Loading (the only I/O besides the append `pwrite`) runs
/// outside the lock and installs its result if no one else did first.
/// What one attempt to append an index entry did.
enum AppendOutcome { case notLoaded, skipped, appended(due: Bool) }

final class IndexFile<Entry: IndexEntry>: Sendable {
    let baseOffset: Int64
    let maxEntries: Int
    let file: LogFile

    private struct State {
        /// nil until loaded.
        var entries: [Entry]?
        /// Slots known to be in use, from the file size when not yet loaded.
        var count: Int
        var isPreallocated: Bool
        /// Entries from this slot on are in memory but not yet in the file.
        var firstUnwritten: Int
    }
    /// How many entries wait in memory before they are written.
    static var writeBehindEntries: Int { 256 }
    private let state: Mutex<State>

    init(file: LogFile, baseOffset: Int64, maxIndexBytes: Int, fresh: Bool) throws(SystemError) {
        self.file = file
        self.baseOffset = baseOffset
        self.maxEntries = max(1, maxIndexBytes / Entry.size)
        let size = fresh ? 0 : Int(try file.size())
        self.state = Mutex(State(entries: fresh ? [] : nil, count: size / Entry.size, isPreallocated: false, firstUnwritten: size / Entry.size))
    }

    var path: String { file.currentPath }

    /// Entries in use (not loading them).
    var count: Int { state.withLock { $0.count } }
    var isFull: Bool { state.withLock { $0.count >= maxEntries } }

    /// The file's size is not a whole number of entries: a sign of a torn or foreign file.
    func hasValidSize() throws(SystemError) -> Bool {
        let size = try file.size()
        return size % Int64(Entry.size) == 0
    }

    enum LoadResult {
        case loaded
        /// The file fails the sanity check: entries must be strictly increasing and name
        /// offsets from the segment's base offset below `limitOffset`.
        case corrupt(String)
    }

    /// Reads the file into memory on first use (outside the lock; the first result installed wins).
    func load(limitOffset: Int64? = nil) throws(SystemError) -> LoadResult {
        let count = state.withLock { $0.entries == nil ? $0.count : -1 }
        if count < 0 { return .loaded }
        var bytes = [UInt8](repeating: 0, count: count * Entry.size)
        let got = try withMutableBytes(of: &bytes) { (raw) throws(SystemError) -> Int in
            try Posix.pread(file.fd, into: raw, at: 0, path: file.currentPath)
        }
        var entries: [Entry] = []
        entries.reserveCapacity(got / Entry.size)
        var problem: String?
        bytes.withUnsafeBytes { raw in
            var at = 0
            while at + Entry.size <= got {
                // A preallocated file left by a crash ends in zero slots: the entries stop there.
                guard let entry = Entry(raw: UnsafeRawBufferPointer(rebasing: raw[at..<(at + Entry.size)]), baseOffset: baseOffset)
                else { break }
                if let last = entries.last, !entry.follows(last) {
                    problem = "entry \(entries.count) (\(entry)) does not follow \(last)"
                    break
                }
                if entry.offset < baseOffset || (limitOffset.map { entry.offset >= $0 } ?? false) {
                    problem = "entry \(entries.count) names offset \(entry.offset) outside the segment"
                    break
                }
                entries.append(entry)
                at += Entry.size
            }
        }
        if let problem { return .corrupt(problem) }
        state.withLock { state in
            if state.entries == nil {
                state.entries = entries
                state.count = entries.count
                state.firstUnwritten = entries.count
            }
        }
        return .loaded
    }

    /// Runs `body` on the loaded entries under the lock (a lookup: no I/O, no copy). nil when
    /// the index is not loaded.
    func withEntries<R: Sendable>(_ body: ([Entry]) -> R) -> R? {
        state.withLock { state in state.entries.map(body) }
    }

    /// Appends an entry (the caller checked `isFull` and that the entry follows the last). It
    /// reaches the file with the next group, or at the next `writePending`.
    func append(_ entry: Entry) throws(SystemError) {
        try append(entry, if: { _ in true })
    }

    /// Appends `entry` if `condition` holds for the current last entry (one critical section).
    func append(_ entry: Entry, if condition: (Entry?) -> Bool) throws(SystemError) {
        func attempt() -> AppendOutcome {
            state.withLock { state -> AppendOutcome in
                guard state.entries != nil else { return .notLoaded }
                guard condition(state.entries?.last) else { return .skipped }
                state.entries?.append(entry)
                state.count += 1
                return .appended(due: state.count - state.firstUnwritten >= Self.writeBehindEntries)
            }
        }
        var outcome = attempt()
        if case .notLoaded = outcome {
            guard case .loaded = try load() else { return }
            outcome = attempt()
        }
        if case .appended(due: true) = outcome { try writePending() }
    }

    /// Writes the entries still only in memory, with one `pwrite`.
    func writePending() throws(SystemError) {
        let (pending, from) = state.withLock { state -> ([Entry], Int) in
            guard let entries = state.entries, state.firstUnwritten < state.count else { return ([], state.count) }
            return (Array(entries[state.firstUnwritten..<state.count]), state.firstUnwritten)
        }
        guard !pending.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pending.count * Entry.size)
        for entry in pending { entry.encode(baseOffset: baseOffset, into: &bytes) }
        try withBytes(of: bytes) { (raw) throws(SystemError) in
            try Posix.pwrite(file.fd, raw, at: Int64(from * Entry.size), path: file.currentPath)
        }
        state.withLock { state in state.firstUnwritten = max(state.firstUnwritten, from + pending.count) }
    }

    /// The last entry, reading only that slot when the index is not loaded.
    func lastEntry() throws(SystemError) -> Entry? {
        let (isLoaded, last, count) = state.withLock { ($0.entries != nil, $0.entries?.last, $0.count) }
        if isLoaded { return last }
        guard count > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Entry.size)
        let got = try withMutableBytes(of: &bytes) { (raw) throws(SystemError) -> Int in
            try Posix.pread(file.fd, into: raw, at: Int64((count - 1) * Entry.size), path: file.currentPath)
        }
        guard got == Entry.size else { return nil }
        return bytes.withUnsafeBytes { Entry(raw: $0, baseOffset: baseOffset) }
    }

    /// Removes entries naming offsets at or above `offset`.
    func truncate(toOffsetBelow offset: Int64) throws(SystemError) {
        guard case .loaded = try load(), let keep = withEntries({ $0.prefix { $0.offset < offset }.count }) else { return }
        try truncate(toEntries: keep)
    }

    func truncate(toEntries keep: Int) throws(SystemError) {
        // Memory first, so it is right even if the file cannot be written (a full disk).
        let preallocated = state.withLock { state -> Bool in
            if var entries = state.entries {
                entries.removeLast(max(0, entries.count - keep))
                state.entries = entries
            }
            state.count = min(state.count, keep)
            state.firstUnwritten = min(state.firstUnwritten, state.count)
            return state.isPreallocated
        }
        try file.truncate(to: Int64(state.withLock { $0.firstUnwritten } * Entry.size))
        if preallocated { try file.truncate(to: Int64(maxEntries * Entry.size)) }
        try writePending()
    }

    /// Replaces every entry (index rebuild after recovery).
    func reset(to entries: [Entry]) throws(SystemError) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * Entry.size)
        for entry in entries { entry.encode(baseOffset: baseOffset, into: &bytes) }
        try file.truncate(to: 0)
        try withBytes(of: bytes) { (raw) throws(SystemError) in try Posix.pwrite(file.fd, raw, at: 0, path: file.currentPath) }
        let preallocated = state.withLock { $0.isPreallocated }
        if preallocated { try file.truncate(to: Int64(maxEntries * Entry.size)) }
        state.withLock { state in
            state.entries = entries
            state.count = entries.count
            state.firstUnwritten = entries.count
        }
    }

    /// Grows the file to its full preallocated size (the segment became the active one).
    func preallocate() throws(SystemError) {
        try file.truncate(to: Int64(maxEntries * Entry.size))
        state.withLock { $0.isPreallocated = true }
    }

    /// Shrinks the file to the entries in use (roll, close).
    func trim() throws(SystemError) {
        try writePending()
        let count = state.withLock { $0.count }
        try file.truncate(to: Int64(count * Entry.size))
        state.withLock { $0.isPreallocated = false }
    }

    func sync() throws(SystemError) {
        try writePending()
        try file.sync()
    }
}
