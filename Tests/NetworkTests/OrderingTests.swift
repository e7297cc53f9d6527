import Dispatch
import Testing

@testable import Network

extension NetworkTests {
    @Suite struct Ordering {
        @Test func echoRoundTrip() async throws {
            let server = try startServer(handler: EchoHandler())
            let client = try RawClient(port: server.boundPort)
            for payload in [[UInt8]("hello".utf8), [7], (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 31) }] {
                try client.sendFrame(payload)
                #expect(try client.readFrame() == payload)
            }
            // The write counters move after the write returns, which the client can see first.
            #expect(await eventually { server.metrics.snapshot.framesWritten == 3 })
            let metrics = server.metrics.snapshot
            #expect(metrics.framesRead == 3)
            #expect(metrics.openConnections == 1)
            client.close()
            await server.shutdown(timeout: .seconds(5))
            #expect(server.metrics.snapshot.openConnections == 0)
        }

        /// The handler completes requests in random order, after random short delays, on other
        /// threads; the responses still come back in request order.
        @Test func thousandPipelinedRequestsAnsweredInOrder() async throws {
            let completionOrder = Box<[UInt32]>([])
            let handler = TestHandler { frame, _, reply in
                DispatchQueue.global().asyncAfter(deadline: .now() + .microseconds(Int.random(in: 0...3000))) {
                    completionOrder.with { $0.append(uint32(frame)) }
                    reply(.frame(OutgoingFrame(payload: frame)))
                }
            }
            let server = try startServer(handler: handler)
            let client = try RawClient(port: server.boundPort)
            var requests: [UInt8] = []
            for index in 0..<1000 { requests += bigEndian(4) + bigEndian(UInt32(index)) }
            try client.send(requests)
            for index in 0..<1000 {
                let response = try client.readFrame()
                #expect(response.map(uint32) == UInt32(index))
                if response.map(uint32) != UInt32(index) { break }
            }
            let order = completionOrder.current
            #expect(order.count == 1000)
            #expect(order != order.sorted(), "the handler should have completed some requests out of order")
            await server.shutdown(timeout: .seconds(5))
        }

        /// Replies completed together leave together: one gather write for all of them, not a
        /// system call (and a TCP segment, and a wake-up of the client) each.
        @Test func repliesCompletedTogetherLeaveInOneWrite() async throws {
            let held = Box<[@Sendable (Reply) -> Void]>([])
            let handler = TestHandler { frame, _, reply in
                // Runs on the connection's queue: every reply below is handed over before the
                // queue gets to write any of them.
                let batch = held.with { replies -> [@Sendable (Reply) -> Void] in
                    replies.append { reply($0) }
                    guard replies.count == 16 else { return [] }
                    defer { replies = [] }
                    return replies
                }
                for (index, answer) in batch.enumerated() {
                    answer(.frame(OutgoingFrame(payload: bigEndian(UInt32(index)))))
                }
            }
            let server = try startServer(handler: handler)
            let client = try RawClient(port: server.boundPort)
            for index in 0..<16 {
                try client.sendFrame(bigEndian(UInt32(index)))
            }
            for index in 0..<16 {
                #expect(try client.readFrame().map(uint32) == UInt32(index))
            }
            // The counters move after the write returns, which the client can see first.
            #expect(await eventually { server.metrics.snapshot.framesWritten == 16 })
            #expect(server.metrics.snapshot.writeCalls == 1)
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func noResponseRepliesKeepTheirTurn() async throws {
            let handler = TestHandler { frame, _, reply in
                DispatchQueue.global().asyncAfter(deadline: .now() + .microseconds(Int.random(in: 0...2000))) {
                    reply(uint32(frame) % 3 == 0 ? .none : .frame(OutgoingFrame(payload: frame)))
                }
            }
            let server = try startServer(handler: handler)
            let client = try RawClient(port: server.boundPort)
            var requests: [UInt8] = []
            for index in 0..<300 { requests += bigEndian(4) + bigEndian(UInt32(index)) }
            try client.send(requests)
            for index in 0..<300 where index % 3 != 0 {
                #expect(try client.readFrame().map(uint32) == UInt32(index))
            }
            #expect(client.staysQuiet(for: .milliseconds(100)), "no response for the acks=0-style requests")
            await server.shutdown(timeout: .seconds(5))
        }

        /// `.close` from the handler: responses to earlier requests go out first, later
        /// requests get nothing, then the connection closes.
        @Test func closeReplyFlushesEarlierResponsesFirst() async throws {
            let log = LogRecorder()
            let closed = Box(0)
            let handler = TestHandler(
                onFrame: { frame, _, reply in
                    switch uint32(frame) {
                    case 0, 1:
                        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(150)) {
                            reply(.frame(OutgoingFrame(payload: frame)))
                        }
                    case 2: reply(.close(reason: "unknown API key 999"))
                    default: reply(.frame(OutgoingFrame(payload: frame)))
                    }
                },
                onClosed: { _ in closed.with { $0 += 1 } })
            let server = try startServer(handler: handler, log: log)
            let client = try RawClient(port: server.boundPort)
            for index: UInt32 in 0..<4 { try client.sendFrame(bigEndian(index)) }
            #expect(try client.readFrame().map(uint32) == 0)
            #expect(try client.readFrame().map(uint32) == 1)
            #expect(client.closedByPeer())
            #expect(log.count(containing: "unknown API key 999") == 1)
            #expect(await eventually { closed.current == 1 })
            await server.shutdown(timeout: .seconds(5))
        }

        /// A handler that lets go of `reply` without calling it does not hang the connection.
        @Test func droppedReplyClosesTheConnection() async throws {
            let log = LogRecorder()
            let handler = TestHandler { frame, _, reply in
                if uint32(frame) == 1 { return }  // forgets to reply
                reply(.frame(OutgoingFrame(payload: frame)))
            }
            let server = try startServer(handler: handler, log: log)
            let client = try RawClient(port: server.boundPort)
            try client.sendFrame(bigEndian(0))
            try client.sendFrame(bigEndian(1))
            #expect(try client.readFrame().map(uint32) == 0)
            #expect(client.closedByPeer())
            #expect(log.count(containing: "dropped request") == 1)
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func secondReplyIsIgnored() async throws {
            let log = LogRecorder()
            let released = Box<[Bool]>([])
            let handler = TestHandler { frame, _, reply in
                reply(.frame(OutgoingFrame(payload: frame)))
                reply(.frame(OutgoingFrame(payload: [9, 9]) { written in released.with { $0.append(written) } }))
            }
            let server = try startServer(handler: handler, log: log)
            let client = try RawClient(port: server.boundPort)
            try client.sendFrame([1])
            try client.sendFrame([2])
            #expect(try client.readFrame() == [1])
            #expect(try client.readFrame() == [2])
            #expect(released.current == [false, false])
            #expect(log.count(containing: "replied twice") == 2)
            await server.shutdown(timeout: .seconds(5))
        }

        /// A frame whose size prefix does not match its contents is a handler bug: the
        /// connection closes instead of desynchronising the client.
        @Test func malformedResponseFrameClosesTheConnection() async throws {
            let log = LogRecorder()
            let handler = TestHandler { _, _, reply in
                reply(.frame(OutgoingFrame(prefixed: bigEndian(10) + [1, 2, 3])))
            }
            let server = try startServer(handler: handler, log: log)
            let client = try RawClient(port: server.boundPort)
            try client.sendFrame([1])
            #expect(client.closedByPeer())
            #expect(log.count(containing: "handler bug") == 1)
            await server.shutdown(timeout: .seconds(5))
        }
    }
}
