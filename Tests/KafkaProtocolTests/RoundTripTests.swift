import KafkaProtocol
import Testing
import Wire

/// Every generated message, at every version, with every field it carries set: encode, decode,
/// compare; then re-encode and compare bytes.
@Suite struct RoundTripTests {
    static let seeds: [UInt64] = [1, 2, 3, 4]

    static func roundTrip<M: KafkaMessage>(_ type: M.Type, sample: (Int16, inout SampleValues) -> M) throws {
        for version in M.versions {
            for seed in seeds {
                var g = SampleValues(seed: seed &+ UInt64(version) &* 31)
                let original = sample(version, &g)
                let bytes = try original.encoded(version: version)
                let decoded = try M(bytes: bytes, version: version)
                #expect(decoded == original, "\(M.messageName) v\(version) seed \(seed)")
                #expect(try decoded.encoded(version: version) == bytes, "\(M.messageName) v\(version) re-encode")
            }
        }
    }

    struct RoundTripVisitor: SampleVisitor {
        var visited: [String] = []
        mutating func visit<M: KafkaMessage>(_ type: M.Type, sample: (Int16, inout SampleValues) -> M) throws {
            try RoundTripTests.roundTrip(type, sample: sample)
            visited.append(M.messageName)
        }
    }

    @Test("every request and response round-trips at every version", arguments: ApiKey.allCases)
    func everyApi(key: ApiKey) throws {
        var visitor = RoundTripVisitor()
        try visitSamples(of: key, &visitor)
        #expect(visitor.visited == [key.name + "Request", key.name + "Response"])
    }

    @Test func headersAndDataFormats() throws {
        try Self.roundTrip(RequestHeader.self) { RequestHeader.sample(version: $0, &$1) }
        try Self.roundTrip(ResponseHeader.self) { ResponseHeader.sample(version: $0, &$1) }
        try Self.roundTrip(ConsumerProtocolSubscription.self) { ConsumerProtocolSubscription.sample(version: $0, &$1) }
        try Self.roundTrip(ConsumerProtocolAssignment.self) { ConsumerProtocolAssignment.sample(version: $0, &$1) }
        try Self.roundTrip(DefaultPrincipalData.self) { DefaultPrincipalData.sample(version: $0, &$1) }
        try Self.roundTrip(LeaderChangeMessage.self) { LeaderChangeMessage.sample(version: $0, &$1) }
        try Self.roundTrip(SnapshotHeaderRecord.self) { SnapshotHeaderRecord.sample(version: $0, &$1) }
        try Self.roundTrip(SnapshotFooterRecord.self) { SnapshotFooterRecord.sample(version: $0, &$1) }
        try Self.roundTrip(VotersRecord.self) { VotersRecord.sample(version: $0, &$1) }
        try Self.roundTrip(KRaftVersionRecord.self) { KRaftVersionRecord.sample(version: $0, &$1) }
    }

    /// Every strict prefix of every sample's encoding must fail with a typed error, never trap
    /// and never decode to something (the last field always needs its bytes).
    @Test("truncated bodies throw", arguments: ApiKey.allCases)
    func truncation(key: ApiKey) throws {
        for version in key.versions {
            var g = SampleValues(seed: 99)
            let bytes = try sampleRequest(key, version, &g).encoded(version: version)
            for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 64)) {
                var reader = ByteReader(Array(bytes[0..<cut]))
                #expect(throws: WireError.self) { _ = try key.decodeRequest(from: &reader, version: version) }
            }
        }
    }

    @Test func fieldMissingInVersionIsRefused() throws {
        // Produce v0 has no TransactionalId; Kafka refuses to drop a non-ignorable value silently.
        let request = ProduceRequest(transactionalId: "tx", acks: 1, timeoutMs: 1000)
        #expect(throws: WireError.fieldNotInVersion(field: "TransactionalId", version: 0)) {
            _ = try request.encoded(version: 0)
        }
        #expect(try ProduceRequest(bytes: request.encoded(version: 3), version: 3).transactionalId == "tx")
    }

    @Test func versionOutsideRangeIsRefused() {
        #expect(throws: WireError.unsupportedVersion(message: "ProduceRequest", version: 12)) {
            _ = try ProduceRequest().encoded(version: 12)
        }
        var reader = ByteReader([UInt8](repeating: 0, count: 64))
        #expect(throws: WireError.unsupportedVersion(message: "MetadataRequest", version: -1)) {
            _ = try MetadataRequest(from: &reader, version: -1)
        }
    }
}
