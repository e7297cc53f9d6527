import Foundation

/// Where cluster metadata documents live, addressed by znode path: the coordination service in
/// a cluster, a directory tree for a standalone broker.
public protocol MetadataBackend: Sendable {
    func read(_ path: String) throws -> [UInt8]?
    /// Creates or replaces the document, creating parents as needed.
    func write(_ path: String, _ data: [UInt8]) throws
    /// Removes the document and everything below it; no error if absent.
    func delete(_ path: String) throws
    func children(_ path: String) throws -> [String]
}

/// Metadata kept as files for a standalone broker: znode `/a/b` is the file `<root>/a/b.json`
/// and its children live in the directory `<root>/a/b/`. Writes are atomic (temp file, fsync,
/// rename) so a crash leaves either the old or the new document.
public struct LocalMetadataBackend: MetadataBackend {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func file(_ path: String) -> URL { root.appendingPathComponent(String(path.drop(while: { $0 == "/" })) + ".json") }
    func directory(_ path: String) -> URL { root.appendingPathComponent(String(path.drop(while: { $0 == "/" }))) }

    public func read(_ path: String) throws -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: file(path).path) else { return nil }
        return [UInt8](data)
    }

    public func write(_ path: String, _ data: [UInt8]) throws {
        let target = file(path)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(data, to: target)
    }

    public func delete(_ path: String) throws {
        let fm = FileManager.default
        for url in [file(path), directory(path)] where fm.fileExists(atPath: url.path) {
            try fm.removeItem(at: url)
        }
    }

    public func children(_ path: String) throws -> [String] {
        let dir = directory(path)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        var result = Set<String>()
        for name in names where !name.hasPrefix(".") {
            result.insert(name.hasSuffix(".json") ? String(name.dropLast(5)) : name)
        }
        return result.sorted()
    }
}

/// Replaces a file atomically: write a temporary file beside it, fsync, rename over, fsync the
/// directory, so a crash never leaves a half-written document.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to url: URL) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(fd, base + done, bytes.count - done)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let e = errno
                close(fd)
                throw POSIXError(POSIXErrorCode(rawValue: e) ?? .EIO)
            }
            done += n
        }
        guard fsync(fd) == 0 else {
            let e = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: e) ?? .EIO)
        }
        close(fd)
        guard rename(temp.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let dir = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }
}
