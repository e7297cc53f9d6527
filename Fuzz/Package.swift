// swift-tools-version: 6.1
// libFuzzer targets over Petrel's decoders, kept out of the main build (they need
// -sanitize=fuzzer and have no main). Run them with scripts/fuzz.sh.
import PackageDescription

let package = Package(
    name: "PetrelFuzz",
    dependencies: [.package(name: "Petrel", path: "..")],
    targets: [
        .target(name: "FuzzSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(
            name: "FuzzKafkaRequests",
            dependencies: ["FuzzSupport", .product(name: "KafkaProtocol", package: "Petrel"), .product(name: "Wire", package: "Petrel")],
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])]),
        .executableTarget(
            name: "FuzzZooKeeperRequests",
            dependencies: ["FuzzSupport", .product(name: "ZooKeeperProtocol", package: "Petrel"), .product(name: "Wire", package: "Petrel")],
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])]),
        // Reaches the server's internal codecs with @testable import: scripts/fuzz.sh builds
        // it with -enable-testing.
        .executableTarget(
            name: "FuzzZooKeeperPeers",
            dependencies: ["FuzzSupport", .product(name: "ZooKeeperServer", package: "Petrel"), .product(name: "Wire", package: "Petrel")],
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])]),
    ]
)
