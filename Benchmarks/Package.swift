// swift-tools-version: 6.1
// Petrel's benchmarks: a package of their own, so the main build stays lean.
// Run from this directory: swift package benchmark   (see README.md)
import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its directory's name, which differs between checkouts
// (the CI clone is not called "main"): derive it rather than hard-code it.
let rootIdentity = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "PetrelBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // What more than one benchmark needs (a connected loopback socket pair).
        .target(
            name: "BenchmarkSupport",
            path: "Benchmarks/BenchmarkSupport",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "RecordBatchBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KafkaRecords", package: rootIdentity),
            ],
            path: "Benchmarks/RecordBatchBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // LogStore append and read throughput beside raw write()/sendfile() baselines, printed as
        // a table with ratios (a plain executable: ordo-one's output has no side-by-side ratio).
        // Run: swift run -c release LogStoreBenchmarks
        .executableTarget(
            name: "LogStoreBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "LogStore", package: rootIdentity),
                .product(name: "KafkaRecords", package: rootIdentity),
            ],
            path: "Benchmarks/LogStoreBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // One hand-off between two threads over a loopback socket: blocked read, own epoll loop,
        // Dispatch read source, Petrel's TCPServer. Run: swift run -c release HandOffBenchmarks
        .executableTarget(
            name: "HandOffBenchmarks",
            dependencies: ["BenchmarkSupport", .product(name: "Network", package: rootIdentity)],
            path: "Benchmarks/HandOffBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
