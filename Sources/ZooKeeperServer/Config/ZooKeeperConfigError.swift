/// Why a configuration cannot be used; each names the key and the problem.
public enum ZooKeeperConfigError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case missing(key: String)
    case invalid(key: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .missing(let key): "\(key) is not set"
        case .invalid(let key, let value, let reason): "\(key)=\(value): \(reason)"
        }
    }
}
