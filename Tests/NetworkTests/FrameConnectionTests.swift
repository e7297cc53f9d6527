import Dispatch
import Glibc
import Synchronization
import Testing

@testable import Network

extension NetworkTests {
    @Suite struct Client {
        @Test func roundTrip() async throws {
            let server = try startServer(handler: EchoHandler())
            let connection = try await FrameConnection.connect(host: "127.0.0.1", port: server.boundPort)
            #expect(try await connection.send([1, 2, 3]) == [1, 2, 3])
            let large = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            #expect(try await connection.send(large) == large)
            connection.close()
            await server.shutdown(timeout: .seconds(5))
        }

        /// Many requests outstanding at once, completed by the server in random order: each
        /// caller gets its own response.
        @Test func concurrentRequestsAreMatchedInOrder() async throws {
            let handler = TestHandler { frame, _, reply in
                DispatchQueue.global().asyncAfter(deadline: .now() + .microseconds(Int.random(in: 0...2000))) {
                    reply(.frame(OutgoingFrame(payload: frame)))
                }
            }
            let server = try startServer(handler: handler) { $0.maxInFlightPerConnection = 8 }
            let connection = try await FrameConnection.connect(host: "127.0.0.1", port: server.boundPort)
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<300 {
                    group.addTask {
                        let request = bigEndian(UInt32(index)) + [UInt8](repeating: UInt8(index % 256), count: index)
                        return try await connection.send(request) == request
                    }
                }
                for try await matched in group { #expect(matched) }
            }
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func oneWayRequestsGetNoResponse() async throws {
            let handler = TestHandler { frame, _, reply in
                reply(frame.first == 0 ? .none : .frame(OutgoingFrame(payload: frame)))
            }
            let server = try startServer(handler: handler)
            let connection = try await FrameConnection.connect(host: "127.0.0.1", port: server.boundPort)
            try await connection.sendOneWay([0, 1])
            try await connection.sendOneWay([0, 2])
            #expect(try await connection.send([5]) == [5])
            #expect(server.metrics.snapshot.framesRead == 3)
            await server.shutdown(timeout: .seconds(5))
        }

        /// Frames queued without waiting arrive in order (a burst shares writes); once the
        /// connection has ended, a queued frame is refused.
        @Test func queuedOneWayFramesArriveInOrderAndAreRefusedAfterClose() async throws {
            let seen = Mutex<[UInt32]>([])
            let handler = TestHandler { frame, _, reply in
                seen.withLock { $0.append(frame.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }) }
                reply(.none)
            }
            let server = try startServer(handler: handler)
            let connection = try await FrameConnection.connect(host: "127.0.0.1", port: server.boundPort)
            for index in 0..<2000 {
                connection.enqueueOneWay(bigEndian(UInt32(index)) + [UInt8](repeating: 1, count: index % 50)) { _ in
                    Issue.record("refused while the connection is open")
                }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while seen.withLock({ $0.count }) < 2000 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(seen.withLock { $0 } == Array(0..<2000))
            #expect(server.metrics.snapshot.framesRead == 2000)
            connection.close()
            let refused = await withCheckedContinuation { (continuation: CheckedContinuation<NetworkError, Never>) in
                connection.enqueueOneWay([9]) { continuation.resume(returning: $0) }
            }
            #expect(refused == .connectionClosed)
            await server.shutdown(timeout: .seconds(5))
        }

        /// With a target queue, every network thread's work (here: the handler, called for each
        /// frame) runs under that one serial queue, where a key set on it is visible; without,
        /// it is not. A client connection given the same target works through it too.
        @Test func targetQueueRunsNetworkThreadsUnderIt() async throws {
            let loop = DispatchQueue(label: "test.loop")
            let key = DispatchSpecificKey<Bool>()
            loop.setSpecific(key: key, value: true)
            let underLoop = Mutex<[Bool]>([])
            let handler = TestHandler { frame, _, reply in
                underLoop.withLock { $0.append(DispatchQueue.getSpecific(key: key) == true) }
                reply(.frame(OutgoingFrame(payload: frame)))
            }
            for target in [loop, nil] {
                let server = try startServer(handler: handler) {
                    $0.targetQueue = target
                    $0.numNetworkThreads = 2
                }
                let connections = [
                    try await FrameConnection.connect(host: "127.0.0.1", port: server.boundPort, targetQueue: target),
                    try await FrameConnection.connect(host: "127.0.0.1", port: server.boundPort, targetQueue: target),
                ]
                for (index, connection) in connections.enumerated() {
                    #expect(try await connection.send([UInt8(index), 7]) == [UInt8(index), 7])
                    connection.close()
                }
                await server.shutdown(timeout: .seconds(5))
                #expect(underLoop.withLock { $0 } == [target != nil, target != nil])
                underLoop.withLock { $0 = [] }
            }
        }

        /// A frame sent from under the connection's target queue (marked as a hierarchy's root)
        /// is written before the sender's turn ends, unless sends queued from elsewhere are
        /// still waiting for the loop: then it queues behind them, and all arrive in order.
        @Test func aSendFromUnderTheTargetQueueIsWrittenAtOnceButNotPastQueuedSends() async throws {
            let loop = DispatchQueue(label: "test.loop")
            SerialHierarchy.mark(loop)
            let (listener, port) = try boundLoopbackSocket()
            defer { Glibc.close(listener) }
            guard listen(listener, 8) == 0 else { throw TestFailure("listen: \(errno)") }
            let connection = try await FrameConnection.connect(host: "127.0.0.1", port: port, targetQueue: loop)
            let accepted = accept(listener, nil, nil)
            guard accepted >= 0 else { throw TestFailure("accept: \(errno)") }
            defer { Glibc.close(accepted) }
            let refused: @Sendable (NetworkError) -> Void = { Issue.record("refused: \($0)") }
            /// Whatever arrives within `milliseconds`, while the caller holds the loop.
            func arrived(within milliseconds: Int32) -> [UInt8] {
                var bytes: [UInt8] = []
                var poller = pollfd(fd: accepted, events: Int16(POLLIN), revents: 0)
                while poll(&poller, 1, bytes.isEmpty ? milliseconds : 50) > 0 {
                    var buffer = [UInt8](repeating: 0, count: 64)
                    let count = recv(accepted, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                    guard count > 0 else { break }
                    bytes += buffer[0..<count]
                }
                return bytes
            }
            let (atOnce, behindQueued) = loop.sync {
                connection.enqueueOneWay([1], refused: refused)
                let atOnce = arrived(within: 1000)
                DispatchQueue.global().sync { connection.enqueueOneWay([2], refused: refused) }
                connection.enqueueOneWay([3], refused: refused)
                return (atOnce, arrived(within: 200))
            }
            #expect(atOnce == [0, 0, 0, 1, 1])
            #expect(behindQueued == [])
            var later: [UInt8] = []
            let deadline = ContinuousClock.now + .seconds(5)
            while later.count < 10 && ContinuousClock.now < deadline { later += arrived(within: 100) }
            #expect(later == [0, 0, 0, 1, 2, 0, 0, 0, 1, 3])
            connection.close()
        }

        @Test func connectionRefused() async throws {
            let server = try startServer(handler: EchoHandler())
            let port = server.boundPort
            await server.shutdown(timeout: .seconds(5))
            await #expect(throws: NetworkError.system(call: "connect to 127.0.0.1:\(port)", errno: ECONNREFUSED)) {
                _ = try await FrameConnection.connect(host: "127.0.0.1", port: port)
            }
        }

        @Test func serverClosingFailsWaitingRequests() async throws {
            let handler = TestHandler { frame, _, reply in
                if frame == [1] {
                    DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) { reply(.close(reason: "test")) }
                } else {
                    reply(.frame(OutgoingFrame(payload: frame)))
                }
            }
            let server = try startServer(handler: handler)
            let connection = try await FrameConnection.connect(host: "127.0.0.1", port: server.boundPort)
            await #expect(throws: NetworkError.connectionClosed) { _ = try await connection.send([1]) }
            await #expect(throws: NetworkError.connectionClosed) { _ = try await connection.send([2]) }
            await server.shutdown(timeout: .seconds(5))
        }

        /// A cancelled request throws at once; its response, when it comes, is dropped and the
        /// next request still gets its own.
        @Test func cancelledRequestKeepsLaterResponsesMatched() async throws {
            let held = Box<[@Sendable (Reply) -> Void]>([])
            let handler = TestHandler { frame, _, reply in
                if frame == [1] { held.with { $0.append(reply) } } else { reply(.frame(OutgoingFrame(payload: frame))) }
            }
            let server = try startServer(handler: handler)
            let connection = try await FrameConnection.connect(host: "127.0.0.1", port: server.boundPort)
            let first = Task { try await connection.send([1]) }
            #expect(await eventually { held.current.count == 1 })
            first.cancel()
            await #expect(throws: NetworkError.cancelled) { _ = try await first.value }
            held.current[0](.frame(OutgoingFrame(payload: [1])))
            #expect(try await connection.send([2]) == [2])
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func connectTimesOut() async throws {
            // A listener whose backlog is full does not complete new handshakes: a reliable
            // way to make connect hang without leaving the machine.
            let (listener, port) = try boundLoopbackSocket()
            defer { Glibc.close(listener) }
            _ = listen(listener, 0)
            var fillers: [FrameConnection] = []
            var timedOut = false
            for _ in 0..<8 {
                do {
                    fillers.append(try await FrameConnection.connect(host: "127.0.0.1", port: port, timeout: .milliseconds(300)))
                } catch {
                    #expect(error == .connectTimedOut(host: "127.0.0.1", port: port))
                    timedOut = true
                    break
                }
            }
            #expect(timedOut)
        }
    }

    @Suite struct Addresses {
        @Test func listensOnLocalhostByName() async throws {
            let server = try startServer(handler: EchoHandler()) { $0.listeners = [ListenerAddress(host: "localhost", port: 0)] }
            #expect(server.boundPort != 0)
            let connection = try await FrameConnection.connect(host: "localhost", port: server.boundPort)
            #expect(try await connection.send([1]) == [1])
            await server.shutdown(timeout: .seconds(5))
        }

        @Test(arguments: ["::", ""])
        func wildcardListenerTakesIPv4AndIPv6(host: String) async throws {
            let seen = Box<[String]>([])
            let handler = TestHandler { frame, info, reply in
                seen.with { $0.append(info.remoteHost) }
                reply(.frame(OutgoingFrame(payload: frame)))
            }
            let server = try startServer(handler: handler) { $0.listeners = [ListenerAddress(host: host, port: 0)] }
            let v4 = try await FrameConnection.connect(host: "127.0.0.1", port: server.boundPort)
            #expect(try await v4.send([4]) == [4])
            let v6 = try await FrameConnection.connect(host: "::1", port: server.boundPort)
            #expect(try await v6.send([6]) == [6])
            #expect(seen.current == ["127.0.0.1", "::1"])
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func ipv4WildcardListener() async throws {
            let server = try startServer(handler: EchoHandler()) { $0.listeners = [ListenerAddress(host: "0.0.0.0", port: 0)] }
            #expect(server.boundListeners.first?.host == "0.0.0.0")
            let connection = try await FrameConnection.connect(host: "127.0.0.1", port: server.boundPort)
            #expect(try await connection.send([1]) == [1])
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func severalNamedListeners() async throws {
            let names = Box<[String]>([])
            let handler = TestHandler { frame, info, reply in
                names.with { $0.append(info.listenerName) }
                reply(.frame(OutgoingFrame(payload: frame)))
            }
            let server = try startServer(handler: handler) {
                $0.listeners = [ListenerAddress(name: "PLAINTEXT", host: "127.0.0.1", port: 0),
                                ListenerAddress(name: "INTERNAL", host: "::1", port: 0)]
            }
            let plaintext = try #require(server.boundPort(listener: "PLAINTEXT"))
            let internalPort = try #require(server.boundPort(listener: "INTERNAL"))
            #expect(server.boundListeners.map(\.host) == ["127.0.0.1", "::1"])
            _ = try await FrameConnection.connect(host: "127.0.0.1", port: plaintext).send([1])
            _ = try await FrameConnection.connect(host: "::1", port: internalPort).send([2])
            #expect(names.current == ["PLAINTEXT", "INTERNAL"])
            await server.shutdown(timeout: .seconds(5))
        }

        @Test func unresolvableHost() {
            #expect(throws: NetworkError.self) {
                try TCPServer(configuration: ServerConfiguration(host: "no-such-host.invalid", port: 0), handler: EchoHandler()).start()
            }
        }

        @Test func invalidConfigurationIsRefused() {
            var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.numNetworkThreads = 0
            #expect(throws: NetworkError.self) { try TCPServer(configuration: configuration, handler: EchoHandler()) }
        }
    }
}
