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
/// active, so appending an entry is one small `pwrite` and "index full" is a roll condition; it
/// is trimmed to the entries in use when the segment rolls or the log closes. Entries are read
/// lazily: opening thousands of partitions reads no index. An index is derived data: a file
/// that is missing or fails its sanity check is rebuilt from the segment (see `LogSegment`).
///
/// Concurrency: the appender adds entries and many readers look them up; every access is a
/// short critical section on `state`. Loading (the only I/O besides the append `pwrite`) runs
/// outside the lock and installs its result if no one else did first.
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
    }
    private let state: Mutex<State>

    init(file: LogFile, baseOffset: Int64, maxIndexBytes: Int, fresh: Bool) throws(SystemError) {
        self.file = file
        self.baseOffset = baseOffset
        self.maxEntries = max(1, maxIndexBytes / Entry.size)
        let size = fresh ? 0 : Int(try file.size())
        self.state = Mutex(State(entries: fresh ? [] : nil, count: size / Entry.size, isPreallocated: false))
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
        case loaded([Entry])
        /// The file fails the sanity check: entries must be strictly increasing and name
        /// offsets from the segment's base offset below `limitOffset`.
        case corrupt(String)
    }

    /// The entries, reading the file on first use.
    func entries(limitOffset: Int64? = nil) throws(SystemError) -> LoadResult {
        if let loaded = state.withLock({ $0.entries }) { return .loaded(loaded) }
        let count = state.withLock { $0.count }
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
        return .loaded(state.withLock { state in
            if let existing = state.entries { return existing }
            state.entries = entries
            state.count = entries.count
            return entries
        })
    }

    /// Appends an entry (the caller checked `isFull` and that the entry follows the last).
    func append(_ entry: Entry) throws(SystemError) {
        guard case .loaded = try entries() else { return }
        let slot = state.withLock { $0.count }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Entry.size)
        entry.encode(baseOffset: baseOffset, into: &bytes)
        try withBytes(of: bytes) { (raw) throws(SystemError) in
            try Posix.pwrite(file.fd, raw, at: Int64(slot * Entry.size), path: file.currentPath)
        }
        state.withLock { state in
            state.entries?.append(entry)
            state.count += 1
        }
    }

    /// The last entry, reading only that slot when the index is not loaded.
    func lastEntry() throws(SystemError) -> Entry? {
        let (loaded, count) = state.withLock { ($0.entries, $0.count) }
        if let loaded { return loaded.last }
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
        guard case .loaded(let all) = try entries() else { return }
        let keep = all.prefix { $0.offset < offset }.count
        try truncate(toEntries: keep)
    }

    func truncate(toEntries keep: Int) throws(SystemError) {
        let preallocated = state.withLock { $0.isPreallocated }
        try file.truncate(to: Int64(keep * Entry.size))
        if preallocated { try file.truncate(to: Int64(maxEntries * Entry.size)) }
        state.withLock { state in
            if var entries = state.entries {
                entries.removeLast(max(0, entries.count - keep))
                state.entries = entries
            }
            state.count = keep
        }
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
        }
    }

    /// Grows the file to its full preallocated size (the segment became the active one).
    func preallocate() throws(SystemError) {
        try file.truncate(to: Int64(maxEntries * Entry.size))
        state.withLock { $0.isPreallocated = true }
    }

    /// Shrinks the file to the entries in use (roll, close).
    func trim() throws(SystemError) {
        let count = state.withLock { $0.count }
        try file.truncate(to: Int64(count * Entry.size))
        state.withLock { $0.isPreallocated = false }
    }

    func sync() throws(SystemError) { try file.sync() }
}
