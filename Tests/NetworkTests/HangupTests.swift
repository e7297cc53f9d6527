import Dispatch
import Glibc
import Testing

@testable import Network

extension NetworkTests {
    /// Sockets that hang up: a refused connect reports writable, error and hang-up in one
    /// readiness event, a reset connection readable, error and hang-up. Each connection's
    /// teardown must then run once, whatever thread notices first.
    @Suite struct Hangups {
        /// Thousands of refused connects from several tasks at once: each fails with the
        /// refusal, none crashes the process.
        @Test func refusedConnectsFailCleanly() async throws {
            let (fd, port) = try boundLoopbackSocket()
            defer { close(fd) }
            let refusals = try await Self.tally(tasks: 8, attempts: Self.attempts) {
                do {
                    _ = try await FrameConnection.connect(host: "127.0.0.1", port: port, timeout: .seconds(5))
                    throw TestFailure("connected to a port that does not listen")
                } catch let error as NetworkError {
                    guard case .system(_, ECONNREFUSED) = error else { throw TestFailure("\(error)") }
                }
            }
            #expect(refusals == 8 * Self.attempts)
        }

        static let attempts = 2500

        /// Connections the peer resets (SO_LINGER 0) while a request is on its way: each
        /// connect or waiting send fails, none hangs or crashes the process.
        @Test func resetConnectionsFailTheirRequests() async throws {
            let listener = try boundLoopbackSocket()
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
            let failures = try await Self.tally(tasks: 8, attempts: Self.resets) {
                do {
                    // The reset may come before the connect is seen to complete.
                    let connection = try await FrameConnection.connect(host: "127.0.0.1", port: listener.port, timeout: .seconds(5))
                    _ = try await connection.send([UInt8](repeating: 7, count: 100))
                    throw TestFailure("a reset connection answered")
                } catch let error as NetworkError {
                    switch error {
                    case .connectionClosed, .system, .io: break
                    default: throw TestFailure("\(error)")
                    }
                }
            }
            #expect(failures == total)
            #expect(await eventually { resetterDone.current })
            close(listener.fd)
        }

        static let resets = 250

        /// Runs `attempt` `attempts` times in each of `tasks` concurrent tasks; how many ran
        /// to the end (an attempt throws to fail the test).
        static func tally(tasks: Int, attempts: Int, _ attempt: @escaping @Sendable () async throws -> Void) async throws -> Int {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<tasks {
                    group.addTask {
                        for _ in 0..<attempts { try await attempt() }
                        return attempts
                    }
                }
                return try await group.reduce(0, +)
            }
        }
    }
}
