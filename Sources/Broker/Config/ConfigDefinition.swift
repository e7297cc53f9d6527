/// One configuration key as Kafka defines it: name, type, default, and the rule its value must
/// satisfy. The tables of broker and topic keys are built from these, once.
public struct ConfigDefinition: Sendable {
    public enum Rule: Sendable {
        case any
        case atLeast(Int64)
        case between(Int64, Int64)
        case oneOf([String])
        /// Every element of a list must be one of these.
        case eachOneOf([String])
        case nonEmpty
    }

    public let name: String
    public let type: ConfigType
    /// nil: no default (the key must be set for it to have a value).
    public let defaultValue: String?
    public let rule: Rule
    public let documentation: String
    /// Kafka marks secrets sensitive: DescribeConfigs hides their values.
    public var isSensitive: Bool { type == .password }

    public init(_ name: String, _ type: ConfigType, _ defaultValue: String?, _ rule: Rule = .any, _ documentation: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.rule = rule
        self.documentation = documentation
    }

    /// The normalised value, or why `raw` is not acceptable for this key.
    public func validate(_ raw: String) -> Result<String, ConfigError> {
        guard let value = type.normalise(raw) else {
            return .failure(.invalidValue(key: name, value: raw, reason: "not a valid \(type.rawValue.lowercased())"))
        }
        switch rule {
        case .any:
            return .success(value)
        case .nonEmpty:
            return value.isEmpty ? .failure(.invalidValue(key: name, value: raw, reason: "must not be empty")) : .success(value)
        case .atLeast(let min):
            guard let n = Self.number(value), n >= Double(min) else {
                return .failure(.invalidValue(key: name, value: raw, reason: "must be at least \(min)"))
            }
            return .success(value)
        case .between(let low, let high):
            guard let n = Self.number(value), n >= Double(low), n <= Double(high) else {
                return .failure(.invalidValue(key: name, value: raw, reason: "must be between \(low) and \(high)"))
            }
            return .success(value)
        case .oneOf(let allowed):
            // Kafka compares these case-insensitively; keep its own spelling ("CreateTime").
            guard let match = allowed.first(where: { $0.lowercased() == value.lowercased() }) else {
                return .failure(.invalidValue(key: name, value: raw, reason: "must be one of \(allowed.joined(separator: ", "))"))
            }
            return .success(match)
        case .eachOneOf(let allowed):
            let items = value.split(separator: ",").map { $0.lowercased() }
            guard !items.isEmpty, items.allSatisfy({ allowed.contains($0) }) else {
                return .failure(.invalidValue(key: name, value: raw, reason: "each item must be one of \(allowed.joined(separator: ", "))"))
            }
            return .success(items.joined(separator: ","))
        }
    }

    private static func number(_ text: String) -> Double? { Double(text) }
}

/// What is wrong with a configuration, naming the key, as an operator needs to fix it.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    case invalidValue(key: String, value: String, reason: String)
    case missing(key: String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidValue(let key, let value, let reason):
            return "invalid value '\(value)' for configuration \(key): \(reason)"
        case .missing(let key):
            return "missing required configuration \(key)"
        case .unreadable(let path, let reason):
            return "cannot read configuration file \(path): \(reason)"
        }
    }
}
