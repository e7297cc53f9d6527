import Dispatch
import Glibc
import Synchronization
import Testing

@testable import Network

/// The two hooks a ZooKeeper server needs: unframed four-letter words at the start of a
/// connection, and frames the server sends without a request (watch notifications).
extension NetworkTests {
    @Suite struct ServerInitiated {
        static let ruok: UInt32 = 0x7275_6F6B

        static func responder(_ word: UInt32, _ connection: ConnectionInfo) -> [UInt8]? {
            word == ruok ? Array("imok".utf8) : nil
        }

        @Test func firstWordIsAnsweredUnframedAndTheConnectionCloses() async throws {
            let server = try startServer(handler: EchoHandler()) { $0.firstWordResponder = Self.responder }
            let client = try RawClient(port: server.boundPort)
            try client.send(Array("ru".utf8))
            try await Task.sleep(for: .milliseconds(20))
            try client.send(Array("ok".utf8))
            #expect(try client.read(4) == Array("imok".utf8))
            #expect(client.closedByPeer())
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func unclaimedFirstWordIsTheFirstFrameSize() async throws {
            let server = try startServer(handler: EchoHandler()) { $0.firstWordResponder = Self.responder }
            let client = try RawClient(port: server.boundPort)
            // Size and payload split at odd places, sent in one write and then in pieces.
            try client.send(bigEndian(3) + [7, 8, 9] + bigEndian(1))
            #expect(try client.readFrame() == [7, 8, 9])
            try client.send([5])
            #expect(try client.readFrame() == [5])
            let slow = try RawClient(port: server.boundPort)
            for byte in bigEndian(2) + [1, 2] {
                try slow.send([byte])
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(try slow.readFrame() == [1, 2])
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func unclaimedBadSizeStillClosesTheConnection() async throws {
            let log = LogRecorder()
            let server = try startServer(handler: EchoHandler(), log: log) {
                $0.firstWordResponder = Self.responder
                $0.maxRequestSize = 1000
            }
            let client = try RawClient(port: server.boundPort)
            try client.send(Array("wxyz".utf8))
            #expect(client.closedByPeer())
            #expect(log.count(containing: "exceeds the limit") == 1)
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func pushedFramesArriveBetweenReplies() async throws {
            let channels = Box<[UInt64: ConnectionChannel]>([:])
            let handler = PushingHandler(channels: channels)
            let server = try startServer(handler: handler)
            let client = try RawClient(port: server.boundPort)
            // The handler pushes [0xEE, n] before answering frame n.
            for n in UInt8(1)...3 {
                try client.sendFrame([n])
                #expect(try client.readFrame() == [0xEE, n])
                #expect(try client.readFrame() == [n])
            }
            // A push with no request at all.
            let channel = try #require(channels.current.values.first)
            channel.push(OutgoingFrame(payload: [0xAB]))
            #expect(try client.readFrame() == [0xAB])
            // Closing from outside: what is queued goes out first.
            channel.push(OutgoingFrame(payload: [0xCD]))
            channel.close(reason: "session expired")
            #expect(try client.readFrame() == [0xCD])
            #expect(client.closedByPeer())
            // After the close, pushes are released and not sent.
            let released = Box(false)
            channel.push(OutgoingFrame(payload: [1]) { written in released.with { $0 = !written } })
            #expect(await eventually { released.current })
            await server.shutdown(timeout: .seconds(5))
        }
    }
}

private struct PushingHandler: FrameHandler {
    let channels: Box<[UInt64: ConnectionChannel]>

    func connectionOpened(_ connection: ConnectionInfo, channel: ConnectionChannel) {
        channels.with { $0[connection.id] = channel }
    }

    func handle(frame: [UInt8], from connection: ConnectionInfo, reply: @escaping @Sendable (Reply) -> Void) {
        channels.current[connection.id]?.push(OutgoingFrame(payload: [0xEE] + frame))
        reply(.frame(OutgoingFrame(payload: frame)))
    }
}
