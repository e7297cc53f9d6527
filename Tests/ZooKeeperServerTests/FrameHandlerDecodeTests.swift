import Testing
import Wire
import ZooKeeperProtocol
@testable import ZooKeeperServer

/// What `ZooKeeperFrameHandler.decode` makes of a frame: the handshake first, then a header
/// and a record; what cannot be read closes (garbage) or answers MarshallingError (malformed).
@Suite struct FrameHandlerDecodeTests {
    func request(_ xid: Int32, _ type: Int32, _ body: [UInt8] = []) -> [UInt8] {
        RequestHeader(xid: xid, type: type).encoded() + body
    }

    @Test func firstFrameIsTheConnectRequest() {
        let withFlag = ConnectRequest(lastZxidSeen: 7, timeOut: 5000, sessionId: 42, readOnly: true)
        guard case .connect(let decoded) = ZooKeeperFrameHandler.decode(withFlag.encoded(), first: true) else {
            Issue.record("not a connect")
            return
        }
        #expect(decoded == withFlag)
        // Old clients leave the readOnly byte out.
        let old = ConnectRequest(timeOut: 5000, readOnly: nil)
        guard case .connect(let decodedOld) = ZooKeeperFrameHandler.decode(old.encoded(), first: true) else {
            Issue.record("not a connect")
            return
        }
        #expect(decodedOld.readOnly == nil && decodedOld.timeOut == 5000)
    }

    @Test func unreadableHandshakeIsGarbage() {
        let frame = Array(ConnectRequest(timeOut: 5000).encoded().prefix(12))
        guard case .garbage = ZooKeeperFrameHandler.decode(frame, first: true) else {
            Issue.record("a truncated connect request must close the connection")
            return
        }
    }

    @Test func requestAfterTheHandshake() {
        let frame = request(3, OpCode.getData.rawValue, GetDataRequest(path: "/a", watch: true).encoded())
        guard case .request(let header, .getData(let get)) = ZooKeeperFrameHandler.decode(frame, first: false) else {
            Issue.record("not a getData")
            return
        }
        #expect(header.xid == 3 && get.path == "/a" && get.watch)
    }

    @Test func aRequestSentAsTheFirstFrameIsNotTakenForOne() {
        let frame = request(1, OpCode.getData.rawValue, GetDataRequest(path: "/", watch: false).encoded())
        switch ZooKeeperFrameHandler.decode(frame, first: true) {
        case .connect(let connect): #expect(connect.protocolVersion == 1)  // read as a (bogus) handshake
        case .garbage: break
        default: Issue.record("a first frame is only ever a handshake")
        }
    }

    @Test(arguments: [999, 0, -1, OpCode.deleteContainer.rawValue])
    func opCodesClientsCannotUseAreUnknown(_ type: Int32) {
        guard case .unknownOp(let header) = ZooKeeperFrameHandler.decode(request(5, type), first: false) else {
            Issue.record("op \(type) must be unknown")
            return
        }
        #expect(header.xid == 5 && header.type == type)
    }

    @Test func truncatedRecordIsMalformed() {
        let body = Array(GetDataRequest(path: "/zookeeper", watch: false).encoded().dropLast(4))
        guard case .malformed(let header, _) = ZooKeeperFrameHandler.decode(request(9, OpCode.getData.rawValue, body), first: false) else {
            Issue.record("not malformed")
            return
        }
        #expect(header.xid == 9)
    }

    @Test func createSessionFromAClientIsMalformed() {
        guard case .malformed = ZooKeeperFrameHandler.decode(request(2, OpCode.createSession.rawValue), first: false) else {
            Issue.record("createSession must answer MarshallingError")
            return
        }
    }

    @Test func saslIsAnsweredNotRefused() {
        guard case .sasl(let header) = ZooKeeperFrameHandler.decode(request(4, OpCode.sasl.rawValue, [0, 0, 0, 0]), first: false) else {
            Issue.record("sasl must reach the processor")
            return
        }
        #expect(header.xid == 4)
    }

    @Test func shortHeaderIsGarbage() {
        guard case .garbage = ZooKeeperFrameHandler.decode([0, 0, 1], first: false) else {
            Issue.record("three bytes are no header")
            return
        }
    }
}
