import Dispatch
import Testing

@testable import Network

extension NetworkTests {
    @Suite struct Shutdown {
        @Test func gracefulShutdownAnswersRequestsInFlight() async throws {
            let seen = Box(0)
            let handler = TestHandler { frame, _, reply in
                seen.with { $0 += 1 }
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(300)) {
                    reply(.frame(OutgoingFrame(payload: frame)))
                }
            }
            let server = try startServer(handler: handler)
            let port = server.boundPort
            let client = try RawClient(port: port)
            for index: UInt32 in 0..<3 { try client.sendFrame(bigEndian(index)) }
            #expect(await eventually { seen.current == 3 })
            let stopping = Task { await server.shutdown(timeout: .seconds(10)) }
            for index: UInt32 in 0..<3 {
                #expect(try client.readFrame().map(uint32) == index)
            }
            #expect(client.closedByPeer())
            await stopping.value
            #expect(throws: TestFailure.self) { try RawClient(port: port) }
            #expect(server.metrics.snapshot.openConnections == 0)
            // A second shutdown returns at once.
            await server.shutdown()
        }

        @Test func shutdownTimeoutClosesWhatIsLeft() async throws {
            let log = LogRecorder()
            let held = Box<[@Sendable (Reply) -> Void]>([])
            let handler = TestHandler { _, _, reply in held.with { $0.append(reply) } }
            let server = try startServer(handler: handler, log: log)
            let client = try RawClient(port: server.boundPort)
            try client.sendFrame([1])
            #expect(await eventually { held.current.count == 1 })
            let start = ContinuousClock.now
            await server.shutdown(timeout: .milliseconds(200))
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(client.closedByPeer())
            #expect(log.count(containing: "shutdown timed out") == 1)
            // A reply after the connection is gone is released, not sent.
            let outcome = Box<[Bool]>([])
            held.current[0](.frame(OutgoingFrame(payload: [1]) { written in outcome.with { $0.append(written) } }))
            #expect(await eventually { outcome.current == [false] })
        }

        @Test func shutdownBeforeStartAndStartAfterShutdown() async throws {
            let server = try TCPServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0), handler: EchoHandler())
            await server.shutdown()
            #expect(throws: NetworkError.alreadyStarted) { try server.start() }
        }

        @Test func bindFailureIsReported() async throws {
            let first = try startServer(handler: EchoHandler())
            var configuration = ServerConfiguration(host: "127.0.0.1", port: first.boundPort)
            configuration.listeners.append(ListenerAddress(name: "OTHER", host: "127.0.0.1", port: 0))
            let second = try TCPServer(configuration: configuration, handler: EchoHandler())
            #expect(throws: NetworkError.self) { try second.start() }
            await first.shutdown()
        }
    }
}
