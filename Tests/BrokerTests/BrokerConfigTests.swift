import Testing

@testable import Broker

@Suite struct PropertiesFileTests {
    @Test func javaPropertiesSyntax() {
        let text = """
            # comment
            ! also a comment
            broker.id=3
            log.dirs : /data/a,\\
                       /data/b
            listeners PLAINTEXT://:9092
              num.partitions=  7
            path=C\\:\\\\temp\\u0041
            empty=
            broker.id=4
            """
        let entries = PropertiesFile.parse(text)
        let dict = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        #expect(dict["broker.id"] == "4")
        #expect(dict["log.dirs"] == "/data/a,/data/b")
        #expect(dict["listeners"] == "PLAINTEXT://:9092")
        #expect(dict["num.partitions"] == "7")
        #expect(dict["path"] == "C:\\tempA")
        #expect(dict["empty"] == "")
    }
}

@Suite struct BrokerConfigTests {
    @Test func defaultsAreKafkas() throws {
        let config = try BrokerConfig(properties: [])
        #expect(config.int("message.max.bytes") == 1_048_588)
        #expect(config.int("num.partitions") == 1)
        #expect(config.bool("auto.create.topics.enable"))
        #expect(config.logDirs == ["/tmp/kafka-logs"])
        #expect(config.retentionMs == 604_800_000)
        #expect(config.string("zookeeper.connect") == nil)
    }

    @Test func layersOverrideInOrder() throws {
        let config = try BrokerConfig(
            properties: [("broker.id", "1"), ("log.dirs", "/a"), ("num.partitions", "3")],
            environment: ["KAFKA_BROKER_ID": "2", "KAFKA_HEAP_OPTS": "-Xmx1G", "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kafka-0:9092"],
            overrides: ["num.partitions=5"])
        #expect(config.brokerId == 2)
        #expect(config.int("num.partitions") == 5)
        #expect(config.list("advertised.listeners") == ["PLAINTEXT://kafka-0:9092"])
        #expect(config.logDirs == ["/a"])
        #expect(config.unknownKeys.isEmpty)
    }

    @Test func environmentNamesFollowConfluentsConvention() {
        let pairs = BrokerConfig.environmentOverrides([
            "KAFKA_LOG_RETENTION_HOURS": "1", "KAFKA_CONFLUENT__X": "2", "KAFKA_A___B": "3", "PATH": "/bin",
        ])
        #expect(pairs.map(\.0) == ["a-b", "confluent_x", "log.retention.hours"])
    }

    @Test func badValuesNameTheKey() {
        #expect(throws: ConfigError.invalidValue(key: "num.partitions", value: "zero", reason: "not a valid int")) {
            try BrokerConfig(properties: [("num.partitions", "zero")])
        }
        #expect(throws: ConfigError.invalidValue(key: "num.partitions", value: "0", reason: "must be at least 1")) {
            try BrokerConfig(properties: [("num.partitions", "0")])
        }
        #expect(throws: ConfigError.self) { try BrokerConfig(properties: [("log.cleanup.policy", "shred")]) }
        #expect(throws: ConfigError.self) { try BrokerConfig(properties: [], overrides: ["no-equals-sign"]) }
        let error = ConfigError.invalidValue(key: "num.partitions", value: "0", reason: "must be at least 1")
        #expect(error.description.contains("num.partitions"))
    }

    @Test func unknownKeysAreKeptAsideNotFatal() throws {
        let config = try BrokerConfig(properties: [("ssl.mystery", "1"), ("broker.id", "0")])
        #expect(config.unknownKeys == ["ssl.mystery"])
        #expect(config.brokerId == 0)
    }

    @Test func topicDefaultsComeFromBrokerSynonyms() throws {
        let config = try BrokerConfig(properties: [("log.retention.hours", "72"), ("message.max.bytes", "2000000")])
        #expect(TopicDefaults.value(for: "retention.ms", in: config) == String(72 * 3_600_000))
        #expect(TopicDefaults.brokerValue(for: "retention.ms", in: config)?.brokerKey == "log.retention.hours")
        #expect(TopicDefaults.value(for: "max.message.bytes", in: config) == "2000000")
        #expect(TopicDefaults.value(for: "cleanup.policy", in: config) == "delete")
        let minutes = try BrokerConfig(properties: [("log.retention.hours", "72"), ("log.retention.minutes", "5")])
        #expect(minutes.retentionMs == 300_000)
        let forever = try BrokerConfig(properties: [("log.retention.ms", "-1")])
        #expect(forever.retentionMs == -1)
    }

    @Test func timestampTypeKeepsKafkasSpelling() throws {
        let config = try BrokerConfig(properties: [("log.message.timestamp.type", "logappendtime")])
        #expect(config.string("log.message.timestamp.type") == "LogAppendTime")
    }
}

@Suite struct ListenerTests {
    @Test func parsing() throws {
        #expect(try Listener(parsing: "PLAINTEXT://:9092", key: "listeners") == Listener(name: "PLAINTEXT", host: "", port: 9092))
        #expect(try Listener(parsing: "internal://[::1]:19092", key: "listeners") == Listener(name: "INTERNAL", host: "::1", port: 19092))
        #expect(throws: ConfigError.self) { try Listener(parsing: "localhost:9092", key: "listeners") }
        #expect(throws: ConfigError.self) { try Listener(parsing: "PLAINTEXT://host:99999", key: "listeners") }
        #expect(throws: ConfigError.self) {
            try Listener.parseList(["PLAINTEXT://:1", "PLAINTEXT://:2"], key: "listeners")
        }
    }
}

@Suite struct TopicNameTests {
    @Test func kafkasRules() {
        #expect(TopicName.validate("order.created") == nil)
        #expect(TopicName.validate("a-b_C.9") == nil)
        #expect(TopicName.validate("") == .empty)
        #expect(TopicName.validate("..") == .dotOrDotDot)
        #expect(TopicName.validate(String(repeating: "x", count: 250)) == .tooLong(250))
        #expect(TopicName.validate(String(repeating: "x", count: 249)) == nil)
        #expect(TopicName.validate("bad topic") == .illegalCharacters("bad topic"))
        #expect(TopicName.validate("ünicode") == .illegalCharacters("ünicode"))
        #expect(TopicName.collisionKey("a.b") == TopicName.collisionKey("a_b"))
    }
}
