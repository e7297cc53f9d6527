import KafkaProtocol
import Synchronization
import Testing
import Wire

@testable import Broker

/// A handler for tests: answers DescribeCluster with a fixed cluster id.
struct FixedClusterHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...1
    func handle(_ request: DescribeClusterRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<DescribeClusterResponse>) -> Void) {
        respond(.of(DescribeClusterResponse(clusterId: "test-cluster", controllerId: 7)))
    }
}

@Suite struct RequestDispatcherTests {
    let dispatcher = RequestDispatcher(handlers: [FixedClusterHandler()])

    func run(_ frame: [UInt8]) -> RequestDispatcher.Outcome {
        let result = Mutex<RequestDispatcher.Outcome?>(nil)
        dispatcher.dispatch(frame: frame, clientHost: "127.0.0.1", connectionId: 1, listenerName: "PLAINTEXT") { outcome in
            result.withLock { $0 = outcome }
        }
        return result.withLock { $0 } ?? .close(reason: "no outcome")
    }

    func frame<R: KafkaRequest>(_ request: R, version: Int16, correlationId: Int32 = 9) throws -> [UInt8] {
        Array(try encodeRequestFrame(request, version: version, correlationId: correlationId, clientId: "t").bytes.dropFirst(4))
    }

    func responseBody(_ outcome: RequestDispatcher.Outcome, headerVersion: Int16) throws -> (Int32, ByteReader) {
        guard case .frame(let writer, _) = outcome else {
            Issue.record("expected a frame, got \(outcome)")
            return (0, ByteReader([]))
        }
        var reader = ByteReader(writer.bytes)
        let size = try reader.readInt32()
        #expect(Int(size) == writer.totalCount - 4)
        let header = try ResponseHeader(from: &reader, version: headerVersion)
        return (header.correlationId, reader)
    }

    @Test func apiVersionsListsRegisteredHandlersAndItself() throws {
        let outcome = run(try frame(ApiVersionsRequest(clientSoftwareName: "x", clientSoftwareVersion: "1"), version: 3))
        var (correlation, reader) = try responseBody(outcome, headerVersion: 0)
        #expect(correlation == 9)
        let response = try ApiVersionsResponse(from: &reader, version: 3)
        #expect(response.errorCode == 0)
        #expect(response.apiKeys.map(\.apiKey) == [ApiKey.apiVersions.rawValue, ApiKey.describeCluster.rawValue])
        #expect(response.apiKeys.last?.maxVersion == 1)
    }

    @Test func unknownApiVersionsVersionGetsTheV0Fallback() throws {
        // ApiVersions v7 does not exist; the body is never parsed.
        var w = ByteWriter()
        w.writeInt16(18); w.writeInt16(7); w.writeInt32(42); w.writeInt16(-1); w.writeInt8(0)
        var (correlation, reader) = try responseBody(run(w.bytes), headerVersion: 0)
        #expect(correlation == 42)
        let response = try ApiVersionsResponse(from: &reader, version: 0)
        #expect(response.errorCode == ErrorCode.unsupportedVersion.rawValue)
        #expect(response.apiKeys == [.init(apiKey: 18, minVersion: 0, maxVersion: 4)])
        #expect(reader.isAtEnd)
    }

    @Test func routesToTheHandlerWithFlexibleHeaders() throws {
        var (correlation, reader) = try responseBody(run(try frame(DescribeClusterRequest(), version: 1)), headerVersion: 1)
        #expect(correlation == 9)
        #expect(try DescribeClusterResponse(from: &reader, version: 1).clusterId == "test-cluster")
    }

    @Test func badInputClosesTheConnection() throws {
        func closes(_ frame: [UInt8]) -> Bool {
            if case .close = run(frame) { return true }
            return false
        }
        #expect(closes([0, 1]))                                   // shorter than a header
        #expect(closes([0x7F, 0x00, 0, 0, 0, 0, 0, 1, 0, 0]))     // unknown API key
        #expect(closes(try frame(DescribeClusterRequest(), version: 1).dropLast(2).map { $0 }))  // truncated body
        var produce = ByteWriter()
        produce.writeInt16(0); produce.writeInt16(9); produce.writeInt32(1); produce.writeInt16(-1)
        #expect(closes(produce.bytes))                            // an API no handler serves
        var tooNew = ByteWriter()
        tooNew.writeInt16(60); tooNew.writeInt16(5); tooNew.writeInt32(1); tooNew.writeInt16(-1); tooNew.writeInt8(0)
        #expect(closes(tooNew.bytes))                             // a version the handler does not serve
    }
}
