import Dispatch
import Glibc
import Testing

@testable import Network

extension NetworkTests {
    @Suite struct Limits {
        /// Raises the soft descriptor limit toward the hard one; false if it cannot reach `needed`.
        func raiseDescriptorLimit(to needed: Int) -> Bool {
            var limit = rlimit()
            guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
            if limit.rlim_cur >= rlim_t(needed) { return true }
            guard limit.rlim_max >= rlim_t(needed) else { return false }
            limit.rlim_cur = rlim_t(needed)
            return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
        }

        @Test func twoThousandConnectionsComeAndGoWithoutLeaks() async throws {
            let connections = 2000
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            // Both ends of every connection live in this process.
            guard raiseDescriptorLimit(to: 2 * connections + 256) else {
                print("skipping: RLIMIT_NOFILE hard limit \(limit.rlim_max) is below \(2 * connections + 256)")
                return
            }
            let closedHook = Box(0)
            let server = try startServer(handler: TestHandler(onFrame: { frame, _, reply in
                reply(.frame(OutgoingFrame(payload: frame)))
            }, onClosed: { _ in closedHook.with { $0 += 1 } })) { $0.listenBacklog = 1024 }
            // Warm up: the first connection is served and closed like the rest.
            do {
                let warm = try RawClient(port: server.boundPort)
                try warm.sendFrame([1])
                #expect(try warm.readFrame() == [1])
            }
            #expect(await eventually { server.metrics.snapshot.openConnections == 0 })
            #expect(await eventually { closedHook.current == 1 })
            let port = server.boundPort
            let baseline = openSocketCount(port: port)
            #expect(baseline == 1, "the listener alone")

            var clients: [RawClient] = []
            for _ in 0..<connections { clients.append(try RawClient(port: server.boundPort)) }
            #expect(await eventually(timeout: .seconds(20)) { server.metrics.snapshot.openConnections == connections })
            // Every one is really served.
            for client in clients.prefix(20) + clients.suffix(20) {
                try client.sendFrame([7])
                #expect(try client.readFrame() == [7])
            }
            #expect(openSocketCount(port: port) == baseline + 2 * connections)
            clients.removeAll()
            #expect(await eventually(timeout: .seconds(20)) { server.metrics.snapshot.openConnections == 0 })
            #expect(await eventually(timeout: .seconds(20)) { openSocketCount(port: port) == baseline })
            #expect(closedHook.current == connections + 1)
            await server.shutdown(timeout: .seconds(5))
            #expect(await eventually { openSocketCount(port: port) == 0 }, "the listener is closed too")
        }

        /// With maxInFlight 4 and a handler that holds on to its replies, the server reads
        /// exactly four requests and leaves the rest in the socket until replies flow again.
        @Test func inFlightLimitStopsReading() async throws {
            let held = Box<[@Sendable (Reply) -> Void]>([])
            let releasing = Box(false)
            let seen = Box(0)
            let handler = TestHandler { frame, _, reply in
                seen.with { $0 += 1 }
                if frame.first == 0xFF { return reply(.none) }  // filler
                let hold = releasing.with { releasing in !releasing }
                if hold { held.with { $0.append { reply($0) } } } else { reply(.frame(OutgoingFrame(payload: frame))) }
            }
            let server = try startServer(handler: handler) { $0.maxInFlightPerConnection = 4 }
            let client = try RawClient(port: server.boundPort)
            for index: UInt32 in 0..<10 { try client.sendFrame(bigEndian(index)) }
            #expect(await eventually { seen.current == 4 })
            try await Task.sleep(for: .milliseconds(300))
            #expect(seen.current == 4)
            #expect(held.current.count == 4)
            // The socket itself stops being read: a non-blocking sender soon meets a full
            // buffer (the kernel's buffers hold a few MB at most; 16 MB would never fit).
            let filler = bigEndian(1024) + [0xFF] + [UInt8](repeating: 0, count: 1023)
            var fillerBytes = 0
            var blocked = false
            while fillerBytes < 16 << 20 {
                let offset = fillerBytes % filler.count
                let sent = filler.withUnsafeBytes {
                    Glibc.send(client.fd, $0.baseAddress! + offset, filler.count - offset, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                }
                if sent < 0 {
                    blocked = errno == EAGAIN || errno == EWOULDBLOCK
                    break
                }
                fillerBytes += sent
            }
            #expect(blocked, "sent \(fillerBytes) bytes without the server reading")
            #expect(seen.current == 4)
            let replies = held.with { held in
                releasing.with { $0 = true }
                return held
            }
            for (index, reply) in replies.enumerated() {
                reply(.frame(OutgoingFrame(payload: bigEndian(UInt32(index)))))
            }
            // Finish the filler frame cut short by the full buffer, then check the stream is
            // still in step.
            try client.send(Array(filler[(fillerBytes % filler.count)...]))
            fillerBytes += filler.count - fillerBytes % filler.count
            try client.sendFrame(bigEndian(10))
            for index: UInt32 in 0...10 {
                #expect(try client.readFrame().map(uint32) == index)
            }
            #expect(seen.current == 11 + fillerBytes / filler.count)
            await server.shutdown(timeout: .seconds(5))
        }

        /// Responses piling up unsent (the client does not read) stop the server reading too.
        @Test func outputBudgetStopsReading() async throws {
            let seen = Box(0)
            let response = [UInt8](repeating: 0xAB, count: 1 << 20)
            let handler = TestHandler { _, _, reply in
                seen.with { $0 += 1 }
                reply(.frame(OutgoingFrame(payload: response)))
            }
            let server = try startServer(handler: handler) {
                $0.maxPendingOutputBytes = 64 * 1024
                $0.socketSendBufferBytes = 64 * 1024
                $0.maxInFlightPerConnection = 100  // only the byte budget may stop it
            }
            let client = try RawClient(port: server.boundPort, receiveBuffer: 64 * 1024)
            // Spaced out, so each reply is back before the next request arrives: requests read
            // in one go would all be handed out before any output exists.
            for index: UInt32 in 0..<32 {
                try client.sendFrame(bigEndian(index))
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(200))
            let before = seen.current
            #expect(before >= 1 && before <= 8, "read \(before) requests while output was stuck")
            for _ in 0..<32 { #expect(try client.readFrame() == response) }
            #expect(seen.current == 32)
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func connectionCapsRefuseTheExtraConnection() async throws {
            let log = LogRecorder()
            let server = try startServer(handler: EchoHandler(), log: log) { $0.maxConnectionsPerIp = 2 }
            let first = try RawClient(port: server.boundPort)
            let second = try RawClient(port: server.boundPort)
            for client in [first, second] {
                try client.sendFrame([1])
                #expect(try client.readFrame() == [1])
            }
            let third = try RawClient(port: server.boundPort)
            #expect(third.closedByPeer())
            #expect(server.metrics.snapshot.refusedConnections == 1)
            #expect(log.count(containing: "max.connections.per.ip is 2") == 1)
            first.close()
            #expect(await eventually { server.metrics.snapshot.openConnections == 1 })
            let fourth = try RawClient(port: server.boundPort)
            try fourth.sendFrame([4])
            #expect(try fourth.readFrame() == [4])
            await server.shutdown(timeout: .seconds(5))

            let capped = try startServer(handler: EchoHandler(), log: log) {
                $0.maxConnections = 1
            }
            let only = try RawClient(port: capped.boundPort)
            try only.sendFrame([1])
            #expect(try only.readFrame() == [1])
            let refused = try RawClient(port: capped.boundPort)
            #expect(refused.closedByPeer())
            #expect(log.count(containing: "max.connections is 1") == 1)
            await capped.shutdown(timeout: .seconds(5))
        }

        @Test func perIpOverrideRaisesTheLimitForOneHost() async throws {
            let server = try startServer(handler: EchoHandler()) {
                $0.maxConnectionsPerIp = 0
                $0.maxConnectionsPerIpOverrides = ["127.0.0.1": 1]
            }
            let client = try RawClient(port: server.boundPort)
            try client.sendFrame([3])
            #expect(try client.readFrame() == [3])
            await server.shutdown(timeout: .seconds(5))
        }
    }
}
