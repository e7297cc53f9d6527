import Testing
@testable import KafkaRecords

/// Random damage to valid data: every decoder must either succeed or throw, never trap or hang.
@Suite struct MutationTests {
    @Test func flippedAndTruncatedBatchesNeverTrap() throws {
        var rng = SplitMix64(seed: 0xC0FFEE)
        var seeds: [[UInt8]] = try CompressionCodec.allCases.map { try sampleBatch(codec: $0, records: 12) }
        seeds.append(goldenBatch())
        seeds.append(try RecordBatchBuilder.endTransactionMarker(commit: false, producerId: 1, producerEpoch: 1, coordinatorEpoch: 1, timestamp: 1))
        var outcomes = (decoded: 0, rejected: 0)
        for iteration in 0..<3000 {
            var data = seeds[iteration % seeds.count]
            let flips = 1 + Int(rng.next() % 4)
            for _ in 0..<flips {
                let index = Int(rng.next() % UInt64(data.count))
                data[index] ^= UInt8(truncatingIfNeeded: 1 + rng.next() % 255)
            }
            if rng.next() % 3 == 0 { data.removeLast(Int(rng.next() % UInt64(data.count))) }
            // Half the time repair the CRC, so the damage reaches the record and codec decoders.
            if rng.next() % 2 == 0, data.count > 21 {
                let crc = CRC32C.checksum(data[21...])
                data.replaceSubrange(17..<21, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * $0)) })
            }
            do {
                _ = try RecordBatch.decode(data, maxUncompressedBytes: 1 << 20)
                outcomes.decoded += 1
            } catch {
                outcomes.rejected += 1
            }
            var iterator = RecordBatchIterator(data)
            while iterator.next() != nil {}
            _ = try? LegacyMessageSet.decode(data, maxUncompressedBytes: 1 << 20)
        }
        #expect(outcomes.decoded + outcomes.rejected == 3000)
        #expect(outcomes.rejected > 0)
    }

    @Test func randomPayloadsThroughEveryCodecNeverTrap() {
        var rng = SplitMix64(seed: 77)
        for iteration in 0..<2000 {
            let codec = CompressionCodec.allCases[iteration % 5]
            var data = randomBytes(Int(rng.next() % 200), seed: rng.next())
            // Give the framed codecs their magic so the damage gets past the first check.
            switch codec {
            case .lz4: data = [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40] + data
            case .zstd: data = [0x28, 0xB5, 0x2F, 0xFD] + data
            case .gzip: data = [0x1F, 0x8B, 0x08, 0x00] + data
            case .snappy: data = Snappy.xerialMagic + [0, 0, 0, 1, 0, 0, 0, 1] + data
            case .none: break
            }
            _ = try? Compression.decompress(data, codec: codec, maxOutput: 1 << 16)
            _ = try? Compression.decompress(data, codec: codec, maxOutput: 1 << 16, legacyLZ4HeaderChecksum: true)
        }
    }

    @Test func mutatedLegacyMessageSetsNeverTrap() throws {
        var rng = SplitMix64(seed: 5)
        let seeds = [legacyV0Set(), legacyV1Set(), try gzipWrapped(magic: 1), try gzipWrapped(magic: 0)]
        for iteration in 0..<2000 {
            var data = seeds[iteration % seeds.count]
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let index = Int(rng.next() % UInt64(data.count))
                data[index] ^= UInt8(truncatingIfNeeded: 1 + rng.next() % 255)
            }
            if rng.next() % 3 == 0 { data.removeLast(Int(rng.next() % UInt64(data.count))) }
            _ = try? LegacyMessageSet.decode(data, maxUncompressedBytes: 1 << 20, verifyCRC: rng.next() % 2 == 0)
            if let messages = try? LegacyMessageSet.decode(data, verifyCRC: false), !messages.isEmpty {
                _ = try? LegacyMessageSet.convertToRecordBatch(messages)
            }
        }
    }
}
