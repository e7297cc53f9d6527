import ZooKeeperProtocol

/// ZooKeeper's built-in authentication schemes (`ProviderRegistry`): `world` (everyone is
/// `anyone`), `digest` (`user:base64(sha1("user:password"))`), `ip` (the client's address, a
/// host or a CIDR range in ACLs) and `auth` (in an ACL: whatever ids the creating client has
/// authenticated as). SASL and x509 are not offered.
enum AuthSchemes {
    /// The id a client gets from `addauth digest user:password`.
    /// As ZooKeeper, credentials without a colon are a user name with an empty password part.
    static func digestId(credentials: String) -> String {
        let user = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return "\(user):\(Base64.encode(SHA1.hash(Array(credentials.utf8))))"
    }

    /// The id an `AuthPacket` authenticates as, or nil when the scheme is unknown or the
    /// credentials are malformed (the client then gets AuthFailed and is disconnected).
    static func authenticate(scheme: String, auth: [UInt8]) -> Id? {
        switch scheme {
        case "digest":
            return Id(scheme: "digest", id: digestId(credentials: String(decoding: auth, as: UTF8.self)))
        default:
            return nil
        }
    }

    /// Schemes whose ids stand for an authenticated client (`isAuthenticated`): what the `auth`
    /// scheme in an ACL expands to. An ip id does not count, as in ZooKeeper.
    static func isAuthenticated(scheme: String) -> Bool { scheme == "digest" }

    /// Whether an ACL entry's id is well formed for its scheme (`isValid`).
    static func isValid(_ id: Id) -> Bool {
        switch id.scheme {
        case "world": return id.id == "anyone"
        case "digest":
            // Java's `split(":")` drops trailing empty parts: "user:" is one part, not two.
            var parts = id.id.split(separator: ":", omittingEmptySubsequences: false)
            while parts.last?.isEmpty == true { parts.removeLast() }
            return parts.count == 2
        case "ip": return IPMatcher(pattern: id.id) != nil
        default: return false
        }
    }

    /// Whether a client holding `clientId` matches the ACL entry `aclId` (same scheme).
    static func matches(clientId: Id, aclId: Id) -> Bool {
        guard clientId.scheme == aclId.scheme else { return false }
        switch aclId.scheme {
        case "digest": return clientId.id == aclId.id
        case "ip": return IPMatcher(pattern: aclId.id)?.matches(clientId.id) ?? false
        default: return false
        }
    }
}

/// An `ip` ACL id: an IPv4 or IPv6 address, optionally with `/bits`.
struct IPMatcher {
    let address: [UInt8]
    let bits: Int

    init?(pattern: String) {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = Self.parse(String(parts[0])) else { return nil }
        self.address = address
        if parts.count == 2 {
            guard let bits = Int(parts[1]), bits >= 0, bits <= address.count * 8 else { return nil }
            self.bits = bits
        } else {
            self.bits = address.count * 8
        }
    }

    func matches(_ host: String) -> Bool {
        guard let candidate = Self.parse(host), candidate.count == address.count else { return false }
        var remaining = bits
        for index in 0..<address.count where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if candidate[index] & mask != address[index] & mask { return false }
            remaining -= take
        }
        return true
    }

    /// Dotted IPv4 (4 bytes) or IPv6 with `::` (16 bytes).
    static func parse(_ text: String) -> [UInt8]? {
        if text.contains(":") { return parseIPv6(text) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8(truncatingIfNeeded: $0)] }
    }
}

extension String {
    /// Splits at "::" (IPv6 shorthand).
    fileprivate func components(separatedByDoubleColon: ()) -> [Substring] {
        var result: [Substring] = []
        var start = startIndex
        var index = startIndex
        while index < endIndex {
            let next = self.index(after: index)
            if self[index] == ":", next < endIndex, self[next] == ":" {
                result.append(self[start..<index])
                start = self.index(after: next)
                index = start
                continue
            }
            index = next
        }
        result.append(self[start..<endIndex])
        return result
    }
}
