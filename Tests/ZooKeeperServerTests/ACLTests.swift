import Foundation
import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

/// Digest vectors were computed with ZooKeeper 3.8's own
/// `org.apache.zookeeper.server.auth.DigestAuthenticationProvider` (its `main` prints
/// `user:password->user:hash`) and agree with Python's `base64(hashlib.sha1(...))`.
@Suite struct ACLTests {
    static let vectors: [(credentials: String, id: String)] = [
        ("user:password", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="),
        ("super:secret", "super:lK75jTNcA+U9vtVEw5vB51mj/w4="),
        ("bob:pa:ss", "bob:ZLnpyJBWh1VZxyRoQkI2cRg/9PM="),
        ("alice:", "alice:VvKt9/iw7kxS1milYay2cPWBnRo="),
        ("üser:pässword", "üser:S/LHSCEmmE6GVxI+xd586A6+JlE="),
        ("longuser:" + String(repeating: "x", count: 120), "longuser:o2uO6D2N+zZ2JpyQBiIP6ZhI8mg="),
        ("u:" + String(repeating: "p", count: 53), "u:9haYA/nqM3XxNMGh/CO/vVlsjwY="),
        ("u:" + String(repeating: "p", count: 54), "u:eKm7CCgUeLQmQ+V5LVuT4xJjoMU="),
    ]

    @Test func digestIdsMatchZooKeepersDigestAuthenticationProvider() {
        for (credentials, id) in Self.vectors {
            #expect(AuthSchemes.digestId(credentials: credentials) == id, "\(credentials)")
        }
    }

    @Test func sha1AndBase64KnownAnswers() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.hash([UInt8]())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(Base64.encode(Array("f".utf8)) == "Zg==")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64.encode([]) == "")
    }

    @Test func authenticateOnlyKnowsDigest() {
        #expect(AuthSchemes.authenticate(scheme: "digest", auth: Array("user:password".utf8))
            == Id(scheme: "digest", id: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="))
        #expect(AuthSchemes.authenticate(scheme: "sasl", auth: []) == nil)
        #expect(AuthSchemes.authenticate(scheme: "ip", auth: Array("10.0.0.1".utf8)) == nil)
    }

    @Test func checkACLFollowsZooKeeper() {
        let user = Id(scheme: "digest", id: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")
        let other = Id(scheme: "digest", id: "other:xxxx")
        let acl = [ACL(.read, .anyone), ACL([.write, .admin], user)]
        #expect(ACLPolicy.allows(acl, .read, ids: []))
        #expect(!ACLPolicy.allows(acl, .write, ids: []))
        #expect(ACLPolicy.allows(acl, .write, ids: [user]))
        #expect(!ACLPolicy.allows(acl, .write, ids: [other]))
        #expect(!ACLPolicy.allows(acl, .delete, ids: [user]))
        #expect(ACLPolicy.allows([], .all, ids: []), "an empty ACL allows everything")
        #expect(ACLPolicy.allows(acl, .delete, ids: [other], superId: other), "super passes every check")
        let ipACL = [ACL(.all, Id(scheme: "ip", id: "10.1.0.0/16"))]
        #expect(ACLPolicy.allows(ipACL, .read, ids: [Id(scheme: "ip", id: "10.1.2.3")]))
        #expect(!ACLPolicy.allows(ipACL, .read, ids: [Id(scheme: "ip", id: "10.2.2.3")]))
    }

    @Test func fixupExpandsAuthAndRefusesBadLists() throws {
        let user = Id(scheme: "digest", id: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")
        let ip = Id(scheme: "ip", id: "127.0.0.1")
        #expect(throws: ErrorCode.invalidACL) { try ACLPolicy.fixup([], ids: [user]) }
        #expect(throws: ErrorCode.invalidACL) { try ACLPolicy.fixup(nil, ids: [user]) }
        #expect(throws: ErrorCode.invalidACL) { try ACLPolicy.fixup([ACL(.all, Id(scheme: "auth", id: ""))], ids: [ip]) }
        #expect(throws: ErrorCode.invalidACL) { try ACLPolicy.fixup([ACL(.all, Id(scheme: "digest", id: "nocolon"))], ids: []) }
        #expect(throws: ErrorCode.invalidACL) { try ACLPolicy.fixup([ACL(.all, Id(scheme: "digest", id: "user:"))], ids: []) }
        #expect(throws: ErrorCode.invalidACL) { try ACLPolicy.fixup([ACL(.all, Id(scheme: "world", id: "someone"))], ids: []) }
        #expect(throws: ErrorCode.invalidACL) { try ACLPolicy.fixup([ACL(.all, Id(scheme: "ip", id: "10.0.0.0/33"))], ids: []) }
        #expect(throws: ErrorCode.invalidACL) { try ACLPolicy.fixup([ACL(.all, Id(scheme: "unknown", id: "x"))], ids: []) }
        let expanded = try ACLPolicy.fixup([ACL(.all, Id(scheme: "auth", id: "")), ACL(.read, .anyone), ACL(.read, .anyone)], ids: [user, ip])
        #expect(expanded == [ACL(.all, user), ACL(.read, .anyone)], "auth becomes the digest ids only; duplicates go")
        #expect(try ACLPolicy.fixup(ACL.openUnsafe, ids: []) == ACL.openUnsafe)
        #expect(try ACLPolicy.fixup([ACL(.read, Id(scheme: "ip", id: "::1"))], ids: []).count == 1)
    }

    @Test func redactionHidesDigestHashes() {
        let acl = [ACL(.all, Id(scheme: "digest", id: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")), ACL(.read, .anyone)]
        #expect(ACLPolicy.redacted(acl) == [ACL(.all, Id(scheme: "digest", id: "user:x")), ACL(.read, .anyone)])
    }

    @Test func ipMatcherHandlesV4V6AndPrefixes() throws {
        #expect(IPMatcher(pattern: "192.168.1.7")?.matches("192.168.1.7") == true)
        #expect(IPMatcher(pattern: "192.168.1.7")?.matches("192.168.1.8") == false)
        #expect(IPMatcher(pattern: "192.168.0.0/23")?.matches("192.168.1.255") == true)
        #expect(IPMatcher(pattern: "192.168.0.0/23")?.matches("192.168.2.0") == false)
        #expect(IPMatcher(pattern: "0.0.0.0/0")?.matches("8.8.8.8") == true)
        #expect(IPMatcher(pattern: "fe80::/10")?.matches("fe80::1") == true)
        #expect(IPMatcher(pattern: "fe80::/10")?.matches("fec0::1") == false)
        #expect(IPMatcher(pattern: "::1")?.matches("0:0:0:0:0:0:0:1") == true)
        #expect(IPMatcher(pattern: "::1")?.matches("127.0.0.1") == false)
        for bad in ["", "1.2.3", "1.2.3.256", "1.2.3.4/", "1:2:3:4:5:6:7:8:9", "1::2::3", "host.example"] {
            #expect(IPMatcher(pattern: bad) == nil, "\(bad)")
        }
    }

    @Test func sessionPasswordsAreDerivedFromTheId() {
        let id = SessionIdentity.firstId(serverId: 3, nowMilliseconds: 1_700_000_000_000)
        #expect(id >> 56 == 3)
        let password = SessionIdentity.password(for: id)
        #expect(password.count == 16)
        #expect(SessionIdentity.check(password, for: id))
        #expect(!SessionIdentity.check(password, for: id + 1))
        #expect(!SessionIdentity.check([UInt8](repeating: 0, count: 16), for: id))
        #expect(!SessionIdentity.check(SessionIdentity.password(for: 0), for: 0))
        #expect(SessionIdentity.firstId(serverId: 0x80, nowMilliseconds: 0) != NodeKind.containerOwner)
    }
}
