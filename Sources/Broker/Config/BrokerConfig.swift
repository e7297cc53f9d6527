import Foundation

/// The broker's configuration: server.properties, then environment overrides in the convention
/// of Confluent's images (`KAFKA_LOG_DIRS` → `log.dirs`), then `--override key=value`, each
/// validated against Kafka's definition of the key. Unknown keys are reported and ignored, as
/// Kafka does; a bad value stops start-up with a message naming the key.
public struct BrokerConfig: Sendable {
    /// Where a value came from, in DescribeConfigs' terms.
    public enum Source: Int8, Sendable {
        case dynamicTopic = 1
        case dynamicBroker = 2
        case dynamicDefaultBroker = 3
        case staticBroker = 4
        case defaultConfig = 5
    }

    /// Values explicitly set (normalised), with where each came from.
    public private(set) var explicit: [String: (value: String, source: Source)] = [:]
    /// Keys that were set but Petrel does not know, for a warning at start-up.
    public private(set) var unknownKeys: [String] = []

    public init() {}

    /// Builds the configuration from the layers, later ones winning.
    public init(properties: [(key: String, value: String)], environment: [String: String] = [:], overrides: [String] = []) throws(ConfigError) {
        for (key, value) in properties { try set(key, value) }
        for (key, value) in Self.environmentOverrides(environment) { try set(key, value) }
        for override in overrides {
            guard let eq = override.firstIndex(of: "=") else {
                throw .invalidValue(key: override, value: "", reason: "an override is written key=value")
            }
            try set(String(override[..<eq]), String(override[override.index(after: eq)...]))
        }
    }

    public static func load(path: String, environment: [String: String], overrides: [String]) throws(ConfigError) -> BrokerConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        return try BrokerConfig(properties: PropertiesFile.parse(text), environment: environment, overrides: overrides)
    }

    public mutating func set(_ key: String, _ raw: String) throws(ConfigError) {
        guard let definition = BrokerConfigKeys.byName[key] else {
            if !unknownKeys.contains(key) { unknownKeys.append(key) }
            return
        }
        switch definition.validate(raw) {
        case .success(let value): explicit[key] = (value, .staticBroker)
        case .failure(let error): throw error
        }
    }

    /// `KAFKA_FOO_BAR` → `foo.bar`; `__` stands for `_` and `___` for `-` (Confluent's rule).
    /// Variables that are not configuration (KAFKA_HEAP_OPTS, KAFKA_OPTS, …) are skipped.
    public static func environmentOverrides(_ environment: [String: String]) -> [(String, String)] {
        let notConfig: Set<String> = [
            "KAFKA_HEAP_OPTS", "KAFKA_OPTS", "KAFKA_JMX_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_LOG4J_OPTS",
            "KAFKA_GC_LOG_OPTS", "KAFKA_VERSION", "KAFKA_HOME", "KAFKA_DEBUG",
        ]
        return environment.keys.sorted().compactMap { name -> (String, String)? in
            guard name.hasPrefix("KAFKA_"), !notConfig.contains(name), let value = environment[name] else { return nil }
            let key = String(name.dropFirst("KAFKA_".count)).lowercased()
                .replacingOccurrences(of: "___", with: "-")
                .replacingOccurrences(of: "__", with: "\u{0}")
                .replacingOccurrences(of: "_", with: ".")
                .replacingOccurrences(of: "\u{0}", with: "_")
            return (key, value)
        }
    }

    // MARK: Typed access

    /// The effective value: explicit, else Kafka's default; nil if neither.
    public func string(_ key: String) -> String? {
        explicit[key]?.value ?? BrokerConfigKeys.byName[key]?.defaultValue
    }

    public func isSet(_ key: String) -> Bool { explicit[key] != nil }

    public func int(_ key: String) -> Int { string(key).flatMap { Int($0) } ?? 0 }
    public func int64(_ key: String) -> Int64 { string(key).flatMap { Int64($0) } ?? 0 }
    public func double(_ key: String) -> Double { string(key).flatMap { Double($0) } ?? 0 }
    public func bool(_ key: String) -> Bool { string(key) == "true" }
    public func list(_ key: String) -> [String] {
        (string(key) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public var brokerId: Int32 { Int32(truncatingIfNeeded: int("broker.id")) }

    /// log.dirs, else log.dir.
    public var logDirs: [String] {
        let dirs = list("log.dirs")
        return dirs.isEmpty ? [string("log.dir") ?? "/tmp/kafka-logs"] : dirs
    }

    /// log.retention.ms, else minutes, else hours — Kafka's precedence; -1 keeps forever.
    public var retentionMs: Int64 { TopicDefaults.value(for: "retention.ms", in: self).flatMap { Int64($0) } ?? 604_800_000 }
}

/// Topic configuration defaults as the broker's own configuration sets them.
public enum TopicDefaults {
    /// The broker-level value behind a topic key, converted to the topic key's unit, with the
    /// broker key it came from; nil when no synonym is set (the topic key's own default applies).
    public static func brokerValue(for topicKey: String, in config: BrokerConfig) -> (value: String, brokerKey: String)? {
        guard let key = TopicConfigKeys.byName[topicKey] else { return nil }
        for synonym in key.synonyms where config.isSet(synonym.brokerKey) {
            guard let raw = config.string(synonym.brokerKey) else { continue }
            if synonym.multiplier == 1 { return (raw, synonym.brokerKey) }
            guard let n = Int64(raw) else { continue }
            let (product, overflow) = n.multipliedReportingOverflow(by: synonym.multiplier)
            return (overflow ? BrokerConfigKeys.maxLong : String(product), synonym.brokerKey)
        }
        // Kafka's retention.ms default comes from log.retention.hours' default (168 h).
        if topicKey == "retention.ms", let hours = config.string("log.retention.hours").flatMap({ Int64($0) }) {
            return (String(hours * 3_600_000), "log.retention.hours")
        }
        return nil
    }

    /// The value a topic without its own setting has.
    public static func value(for topicKey: String, in config: BrokerConfig) -> String? {
        brokerValue(for: topicKey, in: config)?.value ?? TopicConfigKeys.byName[topicKey]?.definition.defaultValue
    }
}
