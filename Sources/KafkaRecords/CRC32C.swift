import CPetrel
import CZlib

/// CRC-32C (Castagnoli): the checksum of magic-2 record batches, computed over every byte from
/// `attributes` to the end of the batch.
///
/// The work happens in `CPetrel`, which uses the CPU's CRC instructions (SSE4.2 or ARMv8) when
/// present; the broker checks every produced batch, so this is on the hot path. Values chain:
/// `checksum(b, continuing: checksum(a))` equals the checksum of `a` followed by `b`.
public enum CRC32C {
    /// True when the CPU instructions are in use on this machine.
    public static var isHardwareAccelerated: Bool { petrel_crc32c_hardware() != 0 }

    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return petrel_crc32c(crc, base, bytes.count)
    }

    public static func checksum<C: Collection<UInt8>>(_ bytes: C, continuing crc: UInt32 = 0) -> UInt32 {
        withContiguousBytes(of: bytes) { checksum($0, continuing: crc) }
    }

    /// The table-driven code alone, whatever the CPU offers (tests and benchmark baselines).
    public static func portableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return petrel_crc32c_portable(crc, base, bytes.count)
    }

    public static func portableChecksum<C: Collection<UInt8>>(_ bytes: C, continuing crc: UInt32 = 0) -> UInt32 {
        withContiguousBytes(of: bytes) { portableChecksum($0, continuing: crc) }
    }
}

/// CRC-32 (IEEE 802.3, zlib's `crc32`): the checksum of legacy magic 0 and 1 messages, computed
/// over everything from the message's `magic` byte to its end.
public enum CRC32 {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard var base = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return crc }
        var value = UInt(crc)
        var remaining = bytes.count
        // zlib takes a 32-bit length: feed very large buffers in pieces.
        while remaining > 0 {
            let chunk = min(remaining, Int(UInt32.max >> 1))
            value = crc32(value, base, uInt(chunk))
            base += chunk
            remaining -= chunk
        }
        return UInt32(truncatingIfNeeded: value)
    }

    public static func checksum<C: Collection<UInt8>>(_ bytes: C, continuing crc: UInt32 = 0) -> UInt32 {
        withContiguousBytes(of: bytes) { checksum($0, continuing: crc) }
    }
}
