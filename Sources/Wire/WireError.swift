/// Why bytes could not be decoded (or a value could not be encoded).
///
/// Every decode of bytes that came from the network or disk reports one of these instead of
/// trapping; each case carries enough to say what was wrong in a log line.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes remained than the field needs.
    case truncated(needed: Int, remaining: Int)
    /// A length prefix was negative (other than the -1 that means null where null is allowed).
    case negativeLength(Int)
    /// A length or count was larger than the bytes that remain or a hard cap.
    case lengthTooLarge(Int, limit: Int)
    /// A null appeared where the field is not nullable in this version.
    case unexpectedNull(field: String)
    /// A varint ran past its maximum width.
    case malformedVarint
    /// A value that decoded but makes no sense for its field (a bad magic byte, an unknown code).
    case invalidValue(field: String, detail: String)
    /// A field has a non-default value but does not exist in the version being written.
    case fieldNotInVersion(field: String, version: Int16)
    /// The version is outside the message's valid range.
    case unsupportedVersion(message: String, version: Int16)
    /// Bytes were left over after a message that must fill its frame exactly.
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case .truncated(let needed, let remaining):
            return "truncated: needed \(needed) bytes, \(remaining) remain"
        case .negativeLength(let n): return "negative length \(n)"
        case .lengthTooLarge(let n, let limit): return "length \(n) exceeds limit \(limit)"
        case .unexpectedNull(let field): return "null in non-nullable field \(field)"
        case .malformedVarint: return "malformed varint"
        case .invalidValue(let field, let detail): return "invalid \(field): \(detail)"
        case .fieldNotInVersion(let field, let version):
            return "field \(field) has a value but does not exist in version \(version)"
        case .unsupportedVersion(let message, let version):
            return "\(message) has no version \(version)"
        case .trailingBytes(let n): return "\(n) unexpected bytes after the message"
        }
    }
}
