#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// An open file descriptor that closes itself when the last reference goes.
///
/// Segments, in-flight fetch responses and the cleaner all hold references: retention may
/// rename and unlink a segment while a response that points at it is still being sent with
/// `sendfile`, and the descriptor stays valid until that response drops its `LogReadHandle`.
/// Nothing else ever closes `fd`.
public final class LogFile: Sendable {
    public let fd: Int32
    /// The path the file had when opened (it may have been renamed since: see `currentPath`).
    private let pathState: Mutex<String>
    /// Counts reads of record data, so tests can prove that opening did not read any.
    let stats: IOStats

    init(fd: Int32, path: String, stats: IOStats) {
        self.fd = fd
        self.pathState = Mutex(path)
        self.stats = stats
    }

    static func open(_ path: String, create: Bool, stats: IOStats) throws(SystemError) -> LogFile {
        let fd = try Posix.open(path, flags: O_RDWR | (create ? O_CREAT : 0))
        return LogFile(fd: fd, path: path, stats: stats)
    }

    public var currentPath: String { pathState.withLock { $0 } }

    func renamed(to path: String) throws(SystemError) {
        let old = currentPath
        try Posix.rename(old, path)
        pathState.withLock { $0 = path }
    }

    func size() throws(SystemError) -> Int64 { try Posix.fileSize(fd, path: currentPath) }

    /// Reads record data at `position`; counted in `IOStats.dataReads`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int64) throws(SystemError) -> Int {
        stats.recordDataRead(bytes: buffer.count)
        return try Posix.pread(fd, into: buffer, at: position, path: currentPath)
    }

    /// Reads `count` bytes at `position` into a new array (shorter if the file ends first).
    func read(count: Int, at position: Int64) throws(SystemError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try withMutableBytes(of: &bytes) { (raw) throws(SystemError) -> Int in
            try read(into: raw, at: position)
        }
        if got < count { bytes.removeLast(count - got) }
        return bytes
    }

    func write(_ bytes: UnsafeRawBufferPointer, at position: Int64) throws(SystemError) {
        try Posix.pwrite(fd, bytes, at: position, path: currentPath)
    }

    func truncate(to size: Int64) throws(SystemError) {
        try Posix.ftruncate(fd, size, path: currentPath)
    }

    func sync() throws(SystemError) { try Posix.fsync(fd, path: currentPath) }

    deinit { close(fd) }
}

/// Keeps the files behind a `LogReadResult`'s regions open while a response is being sent.
/// Drop it (let it go out of scope) once the bytes are out.
public struct LogReadHandle: Sendable {
    let files: [LogFile]
}

/// I/O counters, injectable so a test can see what one log or log manager did.
public final class IOStats: Sendable {
    private let reads = Atomic<Int>(0)
    private let readBytes = Atomic<Int>(0)

    public init() {}

    /// Number of reads of segment (`.log`) data.
    public var dataReads: Int { reads.load(ordering: .relaxed) }
    public var dataBytesRead: Int { readBytes.load(ordering: .relaxed) }

    func recordDataRead(bytes: Int) {
        reads.add(1, ordering: .relaxed)
        readBytes.add(bytes, ordering: .relaxed)
    }
}
