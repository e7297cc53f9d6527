import CPetrel
import Dispatch
import Synchronization

/// The main thread as the process's event loop: it waits on the epoll set itself and runs the
/// main queue's work after each batch of socket reports.
///
/// A socket's report normally costs two wake-ups: the poller thread's, then a Dispatch worker's
/// for the socket's queue (`HandOffBenchmarks` on one VM: a message into the server ~47–55 µs
/// where one thread woken for it takes ~15; on another every mode cost the same and the gain is
/// the CPU and thread switches saved, Benchmarks/README). A process that serves one event loop (a coordination-service
/// member, whose connections, quorum node and request processor all run on one serial queue)
/// makes that queue target `DispatchQueue.main` and runs this: the thread woken by the kernel
/// then runs the handlers and whatever they start, and work that other threads queue (an
/// fsync's outcome, a timer) wakes this thread through libdispatch's eventfd for the main
/// queue (its interface for run loops, as Foundation's RunLoop uses).
///
/// Nothing on the main queue may block: it holds up every socket of the process.
public enum MainThreadLoop {
    private static let stopRequested = Atomic<Bool>(false)

    /// Claims the epoll set's waiting for the main thread. Call it on the main thread before the
    /// process creates its first socket (after that the poller has a thread of its own), then
    /// call `run` on the main thread. Until `run` starts, reports wait in the kernel.
    public static func adopt() {
        precondition(petrel_is_main_thread() == 1, "MainThreadLoop.adopt() must be called on the main thread")
        let claimed = ReadinessPoller.waiter.compareExchange(
            expected: ReadinessPoller.Waiter.undecided.rawValue, desired: ReadinessPoller.Waiter.mainThread.rawValue,
            ordering: .acquiringAndReleasing)
        precondition(claimed.exchanged, "MainThreadLoop.adopt() must come before the process's first socket")
    }

    /// Runs the loop on the main thread until `stop()` is called; returns after the main
    /// queue's work of that turn. Work on queues targeting `DispatchQueue.main` that must wait
    /// for the main queue (`sync` from another thread) runs once this runs, so start the
    /// process's servers from another thread, or before this, without waiting on them.
    public static func run() {
        precondition(petrel_is_main_thread() == 1, "MainThreadLoop.run() must be called on the main thread")
        precondition(
            ReadinessPoller.waiter.load(ordering: .acquiring) == ReadinessPoller.Waiter.mainThread.rawValue,
            "MainThreadLoop.run() needs MainThreadLoop.adopt() first")
        let handle = petrel_main_queue_handle()
        precondition(handle >= 0, "libdispatch offers no main-queue eventfd in this process")
        ReadinessPoller.shared.serve(mainQueue: handle) { stopRequested.load(ordering: .acquiring) }
    }

    /// Makes `run` return (from any thread).
    public static func stop() {
        stopRequested.store(true, ordering: .releasing)
        DispatchQueue.main.async {}
    }
}
