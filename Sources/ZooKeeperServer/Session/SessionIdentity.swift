/// Session ids and passwords, as ZooKeeper makes them.
///
/// An id is `(server id << 56) | (milliseconds since the epoch << 24 >>> 8)`, then counting up:
/// unique across servers and restarts without coordination. The password is derived from the id
/// and a secret every server of the ensemble shares, so a client can take its session to
/// another server (ZooKeeper seeds `java.util.Random` with `id ^ superSecret`; any derivation
/// works, since clients only echo it back).
enum SessionIdentity {
    static func firstId(serverId: Int64, nowMilliseconds: Int64) -> Int64 {
        var id = Int64(bitPattern: UInt64(bitPattern: nowMilliseconds << 24) >> 8) | (serverId << 56)
        if id == NodeKind.containerOwner { id += 1 }
        return id
    }

    static let secret: UInt64 = 0xB341_5C00

    /// 16 bytes from SHA-1 of the id and the shared secret.
    static func password(for session: Int64) -> [UInt8] {
        var input: [UInt8] = []
        for value in [UInt64(bitPattern: session), secret] {
            for shift in stride(from: 56, through: 0, by: -8) { input.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        return Array(SHA1.hash(input).prefix(16))
    }

    static func check(_ password: [UInt8], for session: Int64) -> Bool {
        session != 0 && password == self.password(for: session)
    }
}
