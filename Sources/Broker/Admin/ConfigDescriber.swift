/// Describes effective configuration as DescribeConfigs and CreateTopics (v5+) report it: each
/// key's value, where it came from, and the chain of synonyms behind it.
public struct ConfigDescription: Sendable, Equatable {
    public struct Synonym: Sendable, Equatable {
        public var name: String
        public var value: String?
        public var source: BrokerConfig.Source
    }

    public var name: String
    public var value: String?
    public var source: BrokerConfig.Source
    public var readOnly: Bool
    public var isSensitive: Bool
    public var type: ConfigType
    public var documentation: String
    /// Most specific first: the topic override, the broker keys, the default.
    public var synonyms: [Synonym]
}

public enum ConfigDescriber {
    /// Every topic key (or just `keys`) of a topic with `overrides` on this broker.
    public static func topic(overrides: [String: String], config: BrokerConfig, keys: [String]? = nil) -> [ConfigDescription] {
        let wanted = keys.map(Set.init)
        return TopicConfigKeys.all.compactMap { key -> ConfigDescription? in
            let name = key.definition.name
            if let wanted, !wanted.contains(name) { return nil }
            var synonyms: [ConfigDescription.Synonym] = []
            if let own = overrides[name] { synonyms.append(.init(name: name, value: own, source: .dynamicTopic)) }
            for synonym in key.synonyms where config.isSet(synonym.brokerKey) {
                synonyms.append(.init(name: synonym.brokerKey, value: config.string(synonym.brokerKey), source: .staticBroker))
            }
            if let withDefault = key.synonyms.first(where: { BrokerConfigKeys.byName[$0.brokerKey]?.defaultValue != nil }),
                let def = BrokerConfigKeys.byName[withDefault.brokerKey]?.defaultValue
            {
                synonyms.append(.init(name: withDefault.brokerKey, value: def, source: .defaultConfig))
            }
            let value: String?
            let source: BrokerConfig.Source
            if let own = overrides[name] {
                (value, source) = (own, .dynamicTopic)
            } else if let fromBroker = TopicDefaults.brokerValue(for: name, in: config), config.isSet(fromBroker.brokerKey) {
                (value, source) = (fromBroker.value, .staticBroker)
            } else {
                (value, source) = (TopicDefaults.value(for: name, in: config), .defaultConfig)
            }
            return ConfigDescription(
                name: name, value: value, source: source, readOnly: false, isSensitive: false,
                type: key.definition.type, documentation: key.definition.documentation, synonyms: synonyms)
        }
    }

    /// The broker's static configuration. Static keys cannot change at run time: read-only.
    public static func broker(config: BrokerConfig, keys: [String]? = nil) -> [ConfigDescription] {
        let wanted = keys.map(Set.init)
        return BrokerConfigKeys.all.compactMap { def -> ConfigDescription? in
            if let wanted, !wanted.contains(def.name) { return nil }
            let explicit = config.isSet(def.name)
            let value = def.isSensitive ? nil : config.string(def.name)
            var synonyms: [ConfigDescription.Synonym] = []
            if explicit { synonyms.append(.init(name: def.name, value: value, source: .staticBroker)) }
            if def.defaultValue != nil { synonyms.append(.init(name: def.name, value: def.isSensitive ? nil : def.defaultValue, source: .defaultConfig)) }
            return ConfigDescription(
                name: def.name, value: value, source: explicit ? .staticBroker : .defaultConfig, readOnly: true,
                isSensitive: def.isSensitive, type: def.type, documentation: def.documentation, synonyms: synonyms)
        }
    }
}
