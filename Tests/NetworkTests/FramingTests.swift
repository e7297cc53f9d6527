import Glibc
import Testing

@testable import Network

extension NetworkTests {
    @Suite struct Framing {
        /// Sizes that close the connection before anything is allocated; the server keeps
        /// serving other clients.
        @Test(arguments: [Int32.max, 104_857_601, -1, Int32.min, 0])
        func invalidFrameSizeClosesTheConnection(size: Int32) async throws {
            let log = LogRecorder()
            let server = try startServer(handler: EchoHandler(), log: log)
            let bad = try RawClient(port: server.boundPort)
            try bad.send(bigEndian(UInt32(bitPattern: size)) + [1, 2, 3])
            #expect(bad.closedByPeer())
            #expect(log.all.count == 1, "reported once: \(log.all)")
            let good = try RawClient(port: server.boundPort)
            try good.sendFrame([42])
            #expect(try good.readFrame() == [42])
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func frameOfExactlyTheLimitIsServed() async throws {
            let server = try startServer(handler: EchoHandler()) { $0.maxRequestSize = 1000 }
            let client = try RawClient(port: server.boundPort)
            let payload = [UInt8](repeating: 5, count: 1000)
            try client.sendFrame(payload)
            #expect(try client.readFrame() == payload)
            try client.sendFrame(payload + [6])
            #expect(client.closedByPeer())
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func garbageClosesTheConnection() async throws {
            let log = LogRecorder()
            let server = try startServer(handler: EchoHandler(), log: log)
            let http = try RawClient(port: server.boundPort)
            try http.send(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
            #expect(http.closedByPeer())
            let noise = try RawClient(port: server.boundPort)
            try noise.send((0..<4096).map { _ in UInt8.random(in: 0x80...0xFF) })
            #expect(noise.closedByPeer())
            #expect(log.all.count == 2)
            let good = try RawClient(port: server.boundPort)
            try good.sendFrame([1, 2])
            #expect(try good.readFrame() == [1, 2])
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func silentClientIsClosedWhenIdle() async throws {
            let log = LogRecorder()
            let server = try startServer(handler: EchoHandler(), log: log) { $0.connectionsMaxIdle = .milliseconds(200) }
            let client = try RawClient(port: server.boundPort)
            let start = ContinuousClock.now
            #expect(client.closedByPeer(within: .seconds(3)))
            #expect(ContinuousClock.now - start >= .milliseconds(150))
            #expect(log.count(containing: "idle") == 1)
            await server.shutdown(timeout: .seconds(5))
        }

        /// Bytes trickling in keep a connection alive even when the whole frame takes longer
        /// than the idle limit.
        @Test func frameSentByteByByteIsAnswered() async throws {
            let server = try startServer(handler: EchoHandler()) { $0.connectionsMaxIdle = .milliseconds(300) }
            let client = try RawClient(port: server.boundPort)
            let payload = Array("one byte at a time".utf8)
            for byte in bigEndian(UInt32(payload.count)) + payload {
                try client.send([byte])
                try await Task.sleep(for: .milliseconds(40))
            }
            #expect(try client.readFrame() == payload)
            // And once quiet, it is idle like any other.
            #expect(client.closedByPeer(within: .seconds(3)))
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func peerHalfCloseStillGetsItsAnswers() async throws {
            let server = try startServer(handler: EchoHandler())
            let client = try RawClient(port: server.boundPort)
            try client.sendFrame([1])
            try client.sendFrame([2])
            _ = Glibc.shutdown(client.fd, Int32(SHUT_WR))
            #expect(try client.readFrame() == [1])
            #expect(try client.readFrame() == [2])
            #expect(client.closedByPeer())
            await server.shutdown(timeout: .seconds(5))
        }
    }

    @Suite struct Decoder {
        func frames(of stream: [UInt8], chunk: Int, limit: Int = 100) throws -> [[UInt8]] {
            var decoder = FrameDecoder(maxFrameSize: limit)
            var frames: [[UInt8]] = []
            var start = 0
            while start < stream.count {
                let piece = Array(stream[start..<min(start + chunk, stream.count)])
                try piece.withUnsafeBufferPointer { buffer in
                    var index = 0
                    while index < buffer.count {
                        if let frame = try decoder.decode(buffer, from: &index) { frames.append(frame) }
                    }
                }
                start += chunk
            }
            #expect(!decoder.isMidFrame)
            return frames
        }

        @Test func splitsAStreamCutAnywhere() throws {
            let payloads: [[UInt8]] = [[1], [2, 3], Array(repeating: 9, count: 100), [4, 5, 6]]
            let stream = payloads.flatMap { bigEndian(UInt32($0.count)) + $0 }
            for chunk in 1...stream.count {
                #expect(try frames(of: stream, chunk: chunk) == payloads)
            }
        }

        @Test func refusesBadSizesAsSoonAsTheyAreComplete() {
            for (header, failure) in [
                (bigEndian(101), FrameDecoder.Failure.tooLarge(101, limit: 100)),
                (bigEndian(0), .empty),
                (bigEndian(UInt32.max), .negative(-1)),
            ] {
                var decoder = FrameDecoder(maxFrameSize: 100)
                #expect(throws: failure) {
                    try header.withUnsafeBufferPointer { buffer in
                        var index = 0
                        _ = try decoder.decode(buffer, from: &index)
                    }
                }
            }
        }
    }
}
