#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, on which path, and `errno`.
///
/// Thin wrappers over POSIX retry on EINTR and loop over short reads and writes, so callers see
/// either the whole transfer or one of these. `LogError.storageError` carries it upward.
struct SystemError: Error, Sendable, CustomStringConvertible {
    var operation: String
    var path: String
    var errno: Int32

    var description: String {
        let message = String(cString: strerror(errno))
        return "\(operation) \(path): \(message) (errno \(errno))"
    }

    /// ENOSPC / EDQUOT / EFBIG: the disk (or quota, or file size limit) is full.
    var isOutOfSpace: Bool { errno == ENOSPC || errno == EDQUOT || errno == EFBIG }
}

/// The system calls the log store makes, each retried on EINTR and throwing `SystemError`.
private func statFile(_ path: String, _ info: inout stat) -> Int32 { stat(path, &info) }

enum Posix {
    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(SystemError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw SystemError(operation: "open", path: path, errno: errno) }
        }
    }

    /// Reads exactly `buffer.count` bytes at `offset` unless the file ends first; returns the
    /// number read.
    static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws(SystemError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = Glibc.pread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n > 0 {
                done += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw SystemError(operation: "pread", path: path, errno: errno)
            }
        }
        return done
    }

    /// Writes all of `buffer` at `offset`.
    static func pwrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64, path: String) throws(SystemError) {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = Glibc.pwrite(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n > 0 {
                done += n
            } else if n == 0 {
                throw SystemError(operation: "pwrite", path: path, errno: EIO)
            } else if errno != EINTR {
                throw SystemError(operation: "pwrite", path: path, errno: errno)
            }
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(SystemError) {
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw SystemError(operation: "fsync", path: path, errno: errno) }
        }
    }

    static func ftruncate(_ fd: Int32, _ size: Int64, path: String) throws(SystemError) {
        while Glibc.ftruncate(fd, off_t(size)) != 0 {
            if errno != EINTR { throw SystemError(operation: "ftruncate", path: path, errno: errno) }
        }
    }

    static func fileSize(_ fd: Int32, path: String) throws(SystemError) -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemError(operation: "fstat", path: path, errno: errno) }
        return Int64(info.st_size)
    }

    /// Size and modification time (ms), or nil when the path does not exist.
    static func statPath(_ path: String) -> (size: Int64, modifiedMs: Int64, isDirectory: Bool)? {
        var info = stat()
        guard statFile(path, &info) == 0 else { return nil }
        let ms = Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
        return (Int64(info.st_size), ms, (info.st_mode & S_IFMT) == S_IFDIR)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func rename(_ from: String, _ to: String) throws(SystemError) {
        guard Glibc.rename(from, to) == 0 else { throw SystemError(operation: "rename to \(to)", path: from, errno: errno) }
    }

    /// Removes a file; a file already gone is not an error.
    static func unlink(_ path: String) throws(SystemError) {
        guard Glibc.unlink(path) == 0 || errno == ENOENT else { throw SystemError(operation: "unlink", path: path, errno: errno) }
    }

    static func mkdir(_ path: String) throws(SystemError) {
        guard Glibc.mkdir(path, 0o755) == 0 || errno == EEXIST else { throw SystemError(operation: "mkdir", path: path, errno: errno) }
    }

    /// Creates `path` and its missing parents.
    static func mkdirs(_ path: String) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            try mkdir(current)
        }
    }

    /// Names in a directory, without "." and "..".
    static func listDirectory(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError(operation: "opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a directory and the files in it (partition directories hold no subdirectories).
    static func removeDirectory(_ path: String) throws(SystemError) {
        for name in try listDirectory(path) {
            let child = path + "/" + name
            if let info = statPath(child), info.isDirectory {
                try removeDirectory(child)
            } else {
                try unlink(child)
            }
        }
        guard rmdir(path) == 0 || errno == ENOENT else { throw SystemError(operation: "rmdir", path: path, errno: errno) }
    }

    /// fsync of a directory, so a rename or create in it survives a crash.
    static func fsyncDirectory(_ path: String) throws(SystemError) {
        let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// A whole small file (checkpoints, metadata), refusing files over `limit` bytes.
    static func readSmallFile(_ path: String, limit: Int = 16 << 20) throws(SystemError) -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY)
        defer { close(fd) }
        let size = try fileSize(fd, path: path)
        guard size <= Int64(limit) else { throw SystemError(operation: "read (file over \(limit) bytes)", path: path, errno: EFBIG) }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let count = try withMutableBytes(of: &bytes) { (raw) throws(SystemError) -> Int in
            try pread(fd, into: raw, at: 0, path: path)
        }
        return Array(bytes.prefix(count))
    }

    /// Writes a small file atomically: a temporary file, fsync, rename over the target, fsync of
    /// the directory. A crash leaves either the old file or the new one, never a mix.
    static func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(SystemError) {
        let temporary = path + ".tmp"
        let fd = try open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do throws(SystemError) {
            try withBytes(of: bytes) { (raw) throws(SystemError) in try pwrite(fd, raw, at: 0, path: temporary) }
            try fsync(fd, path: temporary)
        } catch {
            close(fd)
            try? unlink(temporary)
            throw error
        }
        close(fd)
        try rename(temporary, path)
        try fsyncDirectory(parentDirectory(of: path))
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Milliseconds since the Unix epoch, by the wall clock (Kafka's timestamps).
    static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
