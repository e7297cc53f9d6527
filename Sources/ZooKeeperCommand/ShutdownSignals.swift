import Dispatch
import Glibc
import Logging

/// Blocks the calling (main) thread until SIGTERM or SIGINT, then runs `shutdown` and returns
/// once it has finished. The servers run on their own threads and queues, so the main thread
/// has nothing else to do; the signals are ignored by default handling so that the process
/// always shuts down cleanly instead of dying mid-write.
public func waitForShutdownSignal(logger: Logger, shutdown: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    var sources: [any DispatchSourceSignal] = []
    for sig in [SIGTERM, SIGINT] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
            logger.info("received signal \(sig == SIGTERM ? "SIGTERM" : "SIGINT")")
            Task {
                await shutdown()
                done.signal()
            }
        }
        source.resume()
        sources.append(source)
    }
    done.wait()
    withExtendedLifetime(sources) {}
}
