import Glibc

/// The few POSIX file calls the storage needs, with EINTR retried and errors typed.
struct FileError: Error, CustomStringConvertible, Equatable {
    var call: String
    var path: String
    var errno: Int32

    var description: String { "\(call) \(path): \(String(cString: strerror(errno)))" }
}

/// An open file descriptor, closed when the value is dropped. Owned by one queue at a time.
final class FileHandle: @unchecked Sendable {
    let fd: Int32
    let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { _ = Glibc.close(fd) }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(FileError) -> FileHandle {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return FileHandle(fd: fd, path: path) }
            if errno != EINTR { throw FileError(call: "open", path: path, errno: errno) }
        }
    }

    func size() throws(FileError) -> Int {
        var info = stat()
        if fstat(fd, &info) != 0 { throw FileError(call: "fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    /// Reads up to `count` bytes at `offset` (fewer only at end of file).
    func read(count: Int, at offset: Int) throws(FileError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress.map { $0 + done }, count - done, off_t(offset + done))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw FileError(call: "pread", path: path, errno: errno)
            }
            if got == 0 { break }
            done += got
        }
        if done < count { buffer.removeLast(count - done) }
        return buffer
    }

    func readAll() throws(FileError) -> [UInt8] {
        try read(count: try size(), at: 0)
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: Int) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { raw in
                pwrite(fd, raw.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset + done))
            }
            if wrote < 0 {
                if errno == EINTR { continue }
                throw FileError(call: "pwrite", path: path, errno: errno)
            }
            done += wrote
        }
    }

    func syncData() throws(FileError) {
        while fdatasync(fd) != 0 {
            if errno != EINTR { throw FileError(call: "fdatasync", path: path, errno: errno) }
        }
    }

    func sync() throws(FileError) {
        while fsync(fd) != 0 {
            if errno != EINTR { throw FileError(call: "fsync", path: path, errno: errno) }
        }
    }

    func truncate(to size: Int) throws(FileError) {
        while ftruncate(fd, off_t(size)) != 0 {
            if errno != EINTR { throw FileError(call: "ftruncate", path: path, errno: errno) }
        }
    }

    /// Reserves blocks up to `size` (zero-filled), so later appends do not change the file's
    /// size and `fdatasync` need not write metadata. Falls back to extending the file where the
    /// file system has no fallocate.
    func preallocate(to size: Int) throws(FileError) {
        let current = try self.size()
        guard size > current else { return }
        let status = posix_fallocate(fd, off_t(current), off_t(size - current))
        if status == 0 { return }
        if status == EOPNOTSUPP || status == EINVAL { return try truncate(to: size) }
        throw FileError(call: "posix_fallocate", path: path, errno: status)
    }
}

/// Directory and path operations.
enum FileSystem {
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir -p.
    static func createDirectories(_ path: String) throws(FileError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if !isDirectory(prefix), mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw FileError(call: "mkdir", path: prefix, errno: errno)
            }
            prefix += "/"
        }
    }

    static func list(_ directory: String) throws(FileError) -> [String] {
        guard let handle = opendir(directory) else { throw FileError(call: "opendir", path: directory, errno: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func remove(_ path: String) throws(FileError) {
        if unlink(path) != 0 && errno != ENOENT { throw FileError(call: "unlink", path: path, errno: errno) }
    }

    static func rename(_ from: String, to: String) throws(FileError) {
        if Glibc.rename(from, to) != 0 { throw FileError(call: "rename", path: from, errno: errno) }
    }

    /// fsync of a directory, so a file created or renamed in it survives a crash.
    static func syncDirectory(_ path: String) throws(FileError) {
        let handle = try FileHandle.open(path, flags: O_RDONLY | O_DIRECTORY)
        try handle.sync()
    }

    static func readText(_ path: String) throws(FileError) -> String {
        let handle = try FileHandle.open(path, flags: O_RDONLY)
        return String(decoding: try handle.readAll(), as: UTF8.self)
    }

    /// Writes a whole small file through a temporary name and a rename, durably.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileError) {
        let temporary = path + ".tmp"
        do {
            let handle = try FileHandle.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
            try handle.write(bytes, at: 0)
            try handle.sync()
        }
        try rename(temporary, to: path)
        try syncDirectory(directory(of: path))
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
