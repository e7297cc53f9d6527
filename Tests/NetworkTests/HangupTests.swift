import Dispatch
import Glibc
import Testing

@testable import Network

extension NetworkTests {
    /// Sockets that hang up: a refused connect reports writable, error and hang-up in one
    /// readiness event, a reset connection readable, error and hang-up. Each connection's
    /// teardown must then run once, whatever thread notices first.
    @Suite struct Hangups {
        /// A port bound but not listening: connecting to it is refused at once.
        static func refusingPort() throws -> (fd: Int32, port: UInt16) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw TestFailure("bind: \(errno)") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            return (fd, UInt16(bigEndian: address.sin_port))
        }

        /// Thousands of refused connects from several tasks at once: each fails with the
        /// refusal, none crashes the process.
        @Test func refusedConnectsFailCleanly() async throws {
            let (fd, port) = try Self.refusingPort()
            defer { close(fd) }
            let refusals = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var refused = 0
                        for _ in 0..<Self.attempts {
                            do {
                                _ = try await FrameConnection.connect(host: "127.0.0.1", port: port, timeout: .seconds(5))
                                throw TestFailure("connected to a port that does not listen")
                            } catch let error as NetworkError {
                                if case .system(_, ECONNREFUSED) = error { refused += 1 } else { throw TestFailure("\(error)") }
                            }
                        }
                        return refused
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(refusals == 8 * Self.attempts)
        }

        static let attempts = 2500

        /// Connections the peer resets (SO_LINGER 0) while a request is on its way: each
        /// connect or waiting send fails, none hangs or crashes the process.
        @Test func resetConnectionsFailTheirRequests() async throws {
            let listener = try Self.refusingPort()
            guard listen(listener.fd, 128) == 0 else { throw TestFailure("listen: \(errno)") }
            let total = 8 * Self.resets
            let resetterDone = Box(false)
            let fd = listener.fd
            DispatchQueue.global().async {
                // A test peer, not the network layer: blocking accepts on a thread of its own.
                for _ in 0..<total {
                    let accepted = accept(fd, nil, nil)
                    guard accepted >= 0 else { continue }
                    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                    _ = setsockopt(accepted, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                    close(accepted)
                }
                resetterDone.with { $0 = true }
            }
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var failed = 0
                        for _ in 0..<Self.resets {
                            do {
                                // The reset may come before the connect is seen to complete.
                                let connection = try await FrameConnection.connect(host: "127.0.0.1", port: listener.port, timeout: .seconds(5))
                                _ = try await connection.send([UInt8](repeating: 7, count: 100))
                                throw TestFailure("a reset connection answered")
                            } catch let error as NetworkError {
                                if error == .connectionClosed || error.isSystemError { failed += 1 } else { throw TestFailure("\(error)") }
                            }
                        }
                        return failed
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(failures == total)
            #expect(await eventually { resetterDone.current })
            close(listener.fd)
        }

        static let resets = 250
    }
}

extension NetworkError {
    var isSystemError: Bool {
        if case .system = self { return true }
        if case .io = self { return true }
        return false
    }
}
