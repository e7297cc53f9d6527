/// Checks topic-level configuration as Kafka's LogConfig.validate does: known keys only, each
/// value of its key's type and range, and the combinations Kafka refuses.
public enum TopicConfigValidator {
    /// The normalised configs, or INVALID_CONFIG / INVALID_REQUEST naming the offending key.
    public static func validate(_ configs: [String: String?]) -> Result<[String: String], AdminError> {
        var out: [String: String] = [:]
        for (name, raw) in configs.sorted(by: { $0.key < $1.key }) {
            guard let raw else {
                return .failure(AdminError(.invalidRequest, "Null value not supported for topic configs: \(name)"))
            }
            guard let key = TopicConfigKeys.byName[name] else {
                return .failure(AdminError(.invalidConfig, "Unknown topic config name: \(name)"))
            }
            switch key.definition.validate(raw) {
            case .success(let value): out[name] = value
            case .failure(let error):
                return .failure(AdminError(.invalidConfig, "Invalid value \(raw) for configuration \(name): \(reason(error))"))
            }
        }
        if let minLag = out["min.compaction.lag.ms"].flatMap(Int64.init), let maxLag = out["max.compaction.lag.ms"].flatMap(Int64.init),
            minLag > maxLag
        {
            return .failure(AdminError(.invalidConfig,
                "conflict topic config setting min.compaction.lag.ms (\(minLag)) > max.compaction.lag.ms (\(maxLag))"))
        }
        return .success(out)
    }

    static func reason(_ error: ConfigError) -> String {
        if case .invalidValue(_, _, let reason) = error { return reason }
        return error.description
    }
}
