import Testing
@testable import KafkaRecords

@Suite struct CRC32CTests {
    @Test func knownVectors() {
        #expect(CRC32C.checksum(bytes("123456789")) == 0xE306_9283)
        #expect(CRC32C.portableChecksum(bytes("123456789")) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.portableChecksum([UInt8]()) == 0)
        // RFC 3720 (iSCSI) B.4 vectors.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum(bytes("a")) == referenceCRC32C(bytes("a")))
    }

    @Test func hardwareMatchesPortableAndReference() {
        for (index, size) in [1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4096, 65_537, 1 << 20].enumerated() {
            let data = randomBytes(size, seed: UInt64(index) + 100)
            let fast = CRC32C.checksum(data)
            #expect(fast == CRC32C.portableChecksum(data), "size \(size)")
            if size <= 65_537 { #expect(fast == referenceCRC32C(data), "size \(size)") }
        }
    }

    @Test func unalignedSlicesMatch() {
        let data = randomBytes(4099, seed: 7)
        for start in 0..<9 {
            let slice = data[start..<(data.count - (start % 3))]
            #expect(CRC32C.checksum(slice) == referenceCRC32C(Array(slice)))
            #expect(CRC32C.portableChecksum(slice) == referenceCRC32C(Array(slice)))
        }
    }

    @Test func continuationEqualsOneShot() {
        let data = randomBytes(100_003, seed: 42)
        let whole = CRC32C.checksum(data)
        for split in [0, 1, 3, 8, 13, 4096, 50_000, 100_002, 100_003] {
            let first = CRC32C.checksum(data[..<split])
            #expect(CRC32C.checksum(data[split...], continuing: first) == whole, "split \(split)")
            let portableFirst = CRC32C.portableChecksum(data[..<split])
            #expect(CRC32C.portableChecksum(data[split...], continuing: portableFirst) == whole, "split \(split)")
        }
    }

    @Test func hardwarePathIsActiveOnThisMachine() {
        #if arch(x86_64) || arch(arm64)
        // Every x86-64 and aarch64 machine the project runs on has CRC instructions; if this
        // fails the fast path silently fell back to tables.
        #expect(CRC32C.isHardwareAccelerated)
        #endif
    }

    @Test func crc32IEEEForLegacyMessages() {
        #expect(CRC32.checksum(bytes("123456789")) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        let data = randomBytes(10_000, seed: 9)
        #expect(CRC32.checksum(data) == referenceCRC32(data))
        #expect(CRC32.checksum(data[5000...], continuing: CRC32.checksum(data[..<5000])) == CRC32.checksum(data))
    }

    @Test func xxHash32KnownVectors() {
        // Reference values of xxHash32 (seed 0 unless stated).
        #expect(XXHash32.hash([UInt8]()) == 0x02CC_5D05)
        #expect(XXHash32.hash(bytes("a")) == 0x550D_7456)
        #expect(XXHash32.hash(bytes("abc")) == 0x32D1_53FF)
        #expect(XXHash32.hash(bytes("Nobody inspects the spammish repetition")) == 0xE229_3B2F)
        #expect(XXHash32.hash([UInt8](), seed: 1) == 0x0B2C_B792)
    }
}
