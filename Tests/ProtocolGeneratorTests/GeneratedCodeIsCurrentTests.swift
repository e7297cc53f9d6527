import Foundation
import Testing

@testable import ProtocolGeneratorKit

/// The generated Swift in the repo must be exactly what the generator makes from Kafka's specs
/// today; otherwise someone edited generated code or changed the generator without running it.
@Suite struct GeneratedCodeIsCurrentTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The specs live outside the repo (they are Kafka's files, not ours), beside it in ../shared.
    static let specs = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/kafka-protocol/messages")
    static let specsPresent = FileManager.default.fileExists(atPath: specs.path)

    static func swiftFiles(in directory: URL) throws -> [String: String] {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".swift") {
            files[name] = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        return files
    }

    @Test(
        "committed generated code matches a fresh generation",
        .enabled(if: specsPresent, "Kafka's specs are not at ../shared/kafka-protocol/messages; cannot regenerate"))
    func generatedCodeIsCurrent() throws {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-gen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temp) }
        let library = temp.appendingPathComponent("lib")
        let samples = temp.appendingPathComponent("samples")
        try Generator(specsDirectory: Self.specs).write(library: library, samples: samples)

        for (fresh, committed) in [
            (library, Self.repoRoot.appendingPathComponent("Sources/KafkaProtocol/Generated")),
            (samples, Self.repoRoot.appendingPathComponent("Tests/KafkaProtocolTests/Generated")),
        ] {
            let want = try Self.swiftFiles(in: fresh)
            let have = try Self.swiftFiles(in: committed)
            #expect(Set(have.keys) == Set(want.keys), "files differ in \(committed.lastPathComponent)")
            let stale = want.keys.filter { have[$0] != want[$0] }.sorted()
            #expect(stale.isEmpty, "stale generated files (run the generator): \(stale.prefix(10))")
            #expect(want.count > 180)
        }
    }
}

@Suite struct VersionRangeTests {
    @Test func parsing() throws {
        #expect(try VersionRange(parsing: "3+") == VersionRange(lowest: 3, highest: VersionRange.ceiling))
        #expect(try VersionRange(parsing: "0-4") == VersionRange(lowest: 0, highest: 4))
        #expect(try VersionRange(parsing: "7") == VersionRange(lowest: 7, highest: 7))
        #expect(try VersionRange(parsing: "none").isEmpty)
        #expect(throws: GeneratorError.self) { try VersionRange(parsing: "x") }
    }

    @Test func conditionsArePrunedToTheContext() {
        let context = VersionRange(lowest: 0, highest: 11)
        #expect(VersionRange(lowest: 0, highest: 40).condition(within: context) == "true")
        #expect(VersionRange(lowest: 12, highest: 40).condition(within: context) == "false")
        #expect(VersionRange(lowest: 3, highest: 40).condition(within: context) == "version >= 3")
        #expect(VersionRange(lowest: 0, highest: 4).condition(within: context) == "version <= 4")
        #expect(VersionRange(lowest: 2, highest: 4).condition(within: context) == "version >= 2 && version <= 4")
    }

    @Test func commentsAreStrippedOutsideStrings() throws {
        let spec = try MessageSpec.parse(json: """
            // header comment
            { "apiKey": 0, "type": "request", "name": "XRequest", // trailing
              "validVersions": "0-1", "flexibleVersions": "1+",
              "fields": [ { "name": "Url", "type": "string", "versions": "0+", "about": "http://x//y" } ] }
            """, fileName: "X.json")
        #expect(spec.fields.first?.about == "http://x//y")
        #expect(spec.flexibleVersions.lowest == 1)
    }
}
