import Dispatch
import Glibc
import Logging

/// Blocks the calling (main) thread until SIGTERM or SIGINT, then runs `shutdown` and returns
/// once it has finished. The servers run on their own threads and queues, so the main thread
/// has nothing else to do.
public func waitForShutdownSignal(logger: Logger, shutdown: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    let signals = onShutdownSignal(logger: logger) {
        await shutdown()
        done.signal()
    }
    done.wait()
    withExtendedLifetime(signals) {}
}

/// From now on SIGTERM or SIGINT runs `shutdown` (once, in a task) instead of killing the
/// process: the signals' default handling is turned off so that the process always shuts down
/// cleanly instead of dying mid-write. Keep the result alive as long as that should hold.
public func onShutdownSignal(logger: Logger, shutdown: @escaping @Sendable () async -> Void) -> ShutdownSignals {
    var sources: [any DispatchSourceSignal] = []
    for sig in [SIGTERM, SIGINT] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
            logger.info("received signal \(sig == SIGTERM ? "SIGTERM" : "SIGINT")")
            Task { await shutdown() }
        }
        source.resume()
        sources.append(source)
    }
    return ShutdownSignals(sources: sources)
}

/// The signal sources `onShutdownSignal` installed; a Dispatch source is safe to hold from any
/// thread.
public final class ShutdownSignals: @unchecked Sendable {
    let sources: [any DispatchSourceSignal]

    init(sources: [any DispatchSourceSignal]) { self.sources = sources }
}
