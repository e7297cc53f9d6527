// swift-tools-version: 6.1
// Petrel: a Kafka-compatible broker and a ZooKeeper-compatible coordination service.
// Module map and dependency direction: see README.md ("Layout").
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Petrel",
    products: [
        .executable(name: "petrel", targets: ["petrel"]),
        .executable(name: "petrel-zookeeper", targets: ["petrel-zookeeper"]),
        .library(name: "KafkaProtocol", targets: ["KafkaProtocol"]),
        .library(name: "KafkaRecords", targets: ["KafkaRecords"]),
        .library(name: "LogStore", targets: ["LogStore"]),
        .library(name: "Wire", targets: ["Wire"]),
        .library(name: "ZooKeeperProtocol", targets: ["ZooKeeperProtocol"]),
        // For the fuzz targets (Fuzz/), which reach its peer and storage codecs.
        .library(name: "ZooKeeperServer", targets: ["ZooKeeperServer"]),
        // For the benchmarks (Benchmarks/HandOffBenchmarks), which time its hand-off.
        .library(name: "Network", targets: ["Network"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System libraries (Debian: zlib1g-dev, liblz4-dev, libzstd-dev, libsnappy-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        // The little C that Swift cannot say: CRC-32C with the CPU's CRC instructions.
        .target(name: "CPetrel"),

        .target(name: "Wire", swiftSettings: strict),
        // Record batches (magic 2), legacy message sets (magic 0/1), CRC-32C and compression:
        // what the log store needs of Kafka's formats, without the request/response protocol.
        .target(
            name: "KafkaRecords",
            dependencies: ["Wire", "CPetrel", "CZlib", "CLZ4", "CZstd", "CSnappy"],
            swiftSettings: strict),
        .target(name: "KafkaProtocol", dependencies: ["Wire"], swiftSettings: strict),
        .target(name: "LogStore", dependencies: ["KafkaRecords", "Wire"], exclude: ["README.md"], swiftSettings: strict),
        .target(name: "Network", dependencies: ["Wire", "CPetrel"], exclude: ["README.md"], swiftSettings: strict),
        // ZooKeeper: the jute client protocol, and the coordination service.
        .target(name: "ZooKeeperProtocol", dependencies: ["Wire"], swiftSettings: strict),
        .target(
            name: "ZooKeeperServer",
            dependencies: ["ZooKeeperProtocol", "Network", "Wire", "CPetrel", .product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"], swiftSettings: strict),

        // The Kafka broker: configuration, request handlers, partitions, purgatory, controller.
        .target(
            name: "Broker",
            dependencies: [
                "KafkaProtocol", "KafkaRecords", "LogStore", "Network", "Wire",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // JSON message specs -> Swift. Run: swift run ProtocolGenerator <specs dir> Sources/KafkaProtocol/Generated
        .target(name: "ProtocolGeneratorKit", swiftSettings: strict),
        .executableTarget(name: "ProtocolGenerator", dependencies: ["ProtocolGeneratorKit"], swiftSettings: strict),

        // The `zookeeper` command, shared by `petrel` and the slim `petrel-zookeeper`.
        .target(
            name: "ZooKeeperCommand",
            dependencies: [
                "ZooKeeperServer", "Network", "Wire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "petrel-zookeeper",
            dependencies: ["ZooKeeperCommand", "Wire", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),

        .executableTarget(
            name: "petrel",
            dependencies: [
                "Broker",
                "KafkaProtocol",
                "KafkaRecords",
                "ZooKeeperServer",
                "ZooKeeperCommand",
                "Wire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        .testTarget(name: "WireTests", dependencies: ["Wire"], swiftSettings: strict),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "Wire"], swiftSettings: strict),
        .testTarget(name: "KafkaRecordsTests", dependencies: ["KafkaRecords", "Wire"], swiftSettings: strict),
        .testTarget(name: "KafkaProtocolTests", dependencies: ["KafkaProtocol", "Wire"], swiftSettings: strict),
        .testTarget(name: "LogStoreTests", dependencies: ["LogStore", "KafkaRecords", "Wire"], swiftSettings: strict),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "KafkaProtocol", "Wire"], swiftSettings: strict),
        .testTarget(name: "ZooKeeperProtocolTests", dependencies: ["ZooKeeperProtocol", "Wire"], swiftSettings: strict),
        .testTarget(
            name: "ZooKeeperServerTests", dependencies: ["ZooKeeperServer", "ZooKeeperProtocol", "Network", "Wire"],
            swiftSettings: strict),
        .testTarget(name: "ProtocolGeneratorTests", dependencies: ["ProtocolGeneratorKit"], swiftSettings: strict),
    ]
)
