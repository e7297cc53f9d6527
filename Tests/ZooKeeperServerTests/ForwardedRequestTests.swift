import Testing
import Wire
import ZooKeeperProtocol

@testable import ZooKeeperServer

/// What a follower sends its leader decodes to what it sent; bytes from the network that are
/// cut short, of an unknown kind or announcing more elements than they hold are refused.
@Suite struct ForwardedRequestTests {
    static let samples: [ForwardedRequest] = [
        .createSession(session: 0x0100_0000_0000_0001, timeout: 4000),
        .request(
            session: -42, ids: [Id(scheme: "ip", id: "127.0.0.1"), Id(scheme: "digest", id: "u:hash")],
            frame: ZooKeeperRequest.setData(SetDataRequest(path: "/a", data: [1, 2, 3], version: 7)).encodedFrame(xid: 9)),
        .request(session: 1, ids: [], frame: []),
        .touches([.init(session: 1, timeout: 2000), .init(session: Int64.min, timeout: 0)]),
        .touches([]),
    ]

    @Test(arguments: samples) func roundTrips(_ request: ForwardedRequest) throws {
        #expect(try ForwardedRequest.decode(request.encoded()) == request)
    }

    @Test(arguments: samples) func everyTruncationIsRefused(_ request: ForwardedRequest) {
        let bytes = request.encoded()
        for length in 0..<bytes.count {
            #expect(throws: WireError.self) { try ForwardedRequest.decode(Array(bytes.prefix(length))) }
        }
    }

    @Test func unknownKindsAndImpossibleCountsAreRefused() {
        #expect(throws: WireError.self) { try ForwardedRequest.decode([0]) }
        #expect(throws: WireError.self) { try ForwardedRequest.decode([9, 0, 0, 0, 0]) }
        // touches announcing 2^31-1 entries in 4 bytes.
        #expect(throws: WireError.self) { try ForwardedRequest.decode([3, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]) }
    }
}
