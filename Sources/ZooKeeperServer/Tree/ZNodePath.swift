/// ZooKeeper's path rules (`PathUtils.validatePath`) and the parent/child split every
/// operation needs. Paths are kept as `String`s, as clients send them: absolute, '/'-separated,
/// no trailing '/', no empty, "." or ".." components, and no control, surrogate or
/// private-use UTF-16 code units (ZooKeeper checks Java chars, so any character outside the
/// basic plane is refused too).
enum ZNodePath {
    static let root = "/"

    /// Why `path` is not a valid znode path, or nil.
    static func problem(_ path: String) -> String? {
        let units = Array(path.utf16)
        guard let first = units.first else { return "path length must be > 0" }
        if first != slash { return "path must start with / character" }
        if units.count == 1 { return nil }
        if units[units.count - 1] == slash { return "path must not end with / character" }
        var last = slash
        for index in 1..<units.count {
            let c = units[index]
            defer { last = c }
            let atEnd = index + 1 == units.count
            if c == 0 { return "null character not allowed @\(index)" }
            if c == slash && last == slash { return "empty node name specified @\(index)" }
            if c == dot && last == dot {
                if units[index - 2] == slash && (atEnd || units[index + 1] == slash) {
                    return "relative paths not allowed @\(index)"
                }
            } else if c == dot {
                if units[index - 1] == slash && (atEnd || units[index + 1] == slash) {
                    return "relative paths not allowed @\(index)"
                }
            } else if (c > 0 && c <= 0x1F) || (c >= 0x7F && c <= 0x9F) || (c >= 0xD800 && c <= 0xF8FF) || c >= 0xFFF0 {
                return "invalid character @\(index)"
            }
        }
        return nil
    }

    static func isValid(_ path: String) -> Bool { problem(path) == nil }

    /// Parent path and child name; nil when there is no '/' or a NUL is in the path (ZooKeeper
    /// answers BadArguments before looking further). The parent of "/a" is "/"; "/" itself
    /// splits into ("/", "") and is refused by callers as a special path.
    static func split(_ path: String) -> (parent: String, name: String)? {
        guard !path.utf8.contains(0), let slashIndex = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let parent = String(path[path.startIndex..<slashIndex])
        let name = String(path[path.index(after: slashIndex)...])
        return (parent.isEmpty ? root : parent, name)
    }

    /// "/a/b/c" → ["/a/b", "/a", "/"]: the ancestors, nearest first.
    static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var current = path
        while current != root, let (parent, _) = split(current) {
            result.append(parent)
            current = parent
        }
        return result
    }

    static func join(_ parent: String, _ name: String) -> String {
        parent == root ? root + name : parent + "/" + name
    }

    private static let slash = UInt16(UInt8(ascii: "/"))
    private static let dot = UInt16(UInt8(ascii: "."))
}
