import CPetrel
import Dispatch
import Glibc
import Synchronization

/// The process's one epoll set and the thread that waits on it: socket readiness for every
/// server and client connection, handed to each socket's serial queue.
///
/// Why not Dispatch read/write sources: libdispatch's epoll backend races on a hang-up. A
/// refused connect or a reset reports writable (or readable), error and hang-up in one event;
/// libdispatch delivers the first, the source's queue tears the source down on a worker thread
/// while the manager thread is still merging the hang-up into it, and the process dies with
/// "Source finalized twice" (reproduced by `NetworkTests.Hangups`: about one run in ten of
/// 20,000 refused connects, and one ensemble start in fifteen). It also costs a third wake-up
/// per message: its manager thread re-arms each one-shot registration after the handler ran.
/// Here the handler's own queue re-arms (`SocketSources`), so a message costs this thread's
/// wake-up and the queue's.
///
/// Registrations are one-shot: a report disables the descriptor until its queue re-arms it, so
/// at most one report per socket is on its way at a time (a second only when interest changes
/// while one is in flight, which the handlers treat as a spurious wake-up). Reports carry a
/// token, not the descriptor or a pointer: a token is never reused, so a report that arrives
/// after its socket was removed finds nothing, and a new socket that got the same descriptor
/// number cannot receive it.
///
/// The thread is not a Dispatch thread: it may wait in `epoll_wait`. It is a thread of the
/// poller's own, doing nothing else, or the main thread, which also runs the main queue's work
/// (`MainThreadLoop`).
final class ReadinessPoller: Sendable {
    static let shared = ReadinessPoller()

    private let epollDescriptor: Int32
    private let registrations = Mutex<[UInt64: SocketSources]>([:])
    private let lastToken = Atomic<UInt64>(0)

    /// Who waits on the epoll set, decided once per process: the first socket starts a thread of
    /// the poller's own unless the main thread claimed the job before (`MainThreadLoop.adopt`).
    enum Waiter: Int {
        case undecided, ownThread, mainThread
    }

    static let waiter = Atomic<Int>(Waiter.undecided.rawValue)

    /// The token of the main queue's eventfd in the set; socket tokens start at 1.
    private static let mainQueueToken: UInt64 = 0

    private init() {
        epollDescriptor = petrel_poll_create()
        guard epollDescriptor >= 0 else {
            fatalError("cannot create an epoll set: \(errnoText(errno)); raise the process's descriptor limit")
        }
        let decided = Self.waiter.compareExchange(
            expected: Waiter.undecided.rawValue, desired: Waiter.ownThread.rawValue, ordering: .acquiringAndReleasing)
        if !decided.exchanged && decided.original == Waiter.mainThread.rawValue { return }
        var thread = pthread_t()
        let retained = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let poller = Unmanaged<ReadinessPoller>.fromOpaque(argument).takeRetainedValue()
            petrel_name_this_thread("petrel.poll")
            poller.serve(mainQueue: nil) { false }
            return nil
        }, retained)
        guard status == 0 else { fatalError("cannot start the network poller thread: \(errnoText(status))") }
        pthread_detach(thread)
    }

    /// Watches `fd` for `interest` on behalf of `sources`; the token to re-arm and remove it
    /// with, or the errno of the failure.
    func add(_ sources: SocketSources, fd: Int32, interest: Int32) -> Result<UInt64, PollError> {
        let token = lastToken.add(1, ordering: .relaxed).newValue
        registrations.withLock { $0[token] = sources }
        if petrel_poll_add(epollDescriptor, fd, interest, token) == 0 { return .success(token) }
        let code = errno
        _ = registrations.withLock { $0.removeValue(forKey: token) }
        return .failure(PollError(code: code))
    }

    /// Re-arms a registration with `interest` (0: only a hang-up or error is reported).
    func rearm(fd: Int32, token: UInt64, interest: Int32) -> PollError? {
        petrel_poll_modify(epollDescriptor, fd, interest, token) == 0 ? nil : PollError(code: errno)
    }

    /// Stops watching; a report already taken from the kernel for it is dropped.
    func remove(fd: Int32, token: UInt64) {
        _ = petrel_poll_remove(epollDescriptor, fd)
        _ = registrations.withLock { $0.removeValue(forKey: token) }
    }

    /// Waits for reports and hands them to their sockets' queues, until `stop` says so. With
    /// `mainQueue` (libdispatch's eventfd for it; on the main thread only), the main queue's work
    /// runs here too after each batch of reports: a socket queue targeting the main queue then
    /// runs its handlers on this thread, woken once.
    func serve(mainQueue: Int32?, until stop: () -> Bool) {
        if let mainQueue, petrel_poll_add_level(epollDescriptor, mainQueue, Self.mainQueueToken) != 0 {
            fatalError("cannot watch the main queue's eventfd: \(errnoText(errno))")
        }
        let capacity = 256
        let tokens = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        let ready = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        var reached: [(SocketSources, Int32)] = []
        reached.reserveCapacity(capacity)
        while !stop() {
            let count = petrel_poll_wait(epollDescriptor, tokens, ready, Int32(capacity), -1)
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                fatalError("epoll_wait failed: \(errnoText(code))")
            }
            registrations.withLock { table in
                for index in 0..<Int(count) {
                    if let sources = table[tokens[index]] { reached.append((sources, ready[index])) }
                }
            }
            for (sources, bits) in reached { sources.deliver(bits) }
            reached.removeAll(keepingCapacity: true)
            guard let mainQueue else { continue }
            // Reset before draining: work queued from now on (by the drain itself, or by another
            // thread) writes it again, so the next wait returns at once instead of missing it.
            petrel_eventfd_clear(mainQueue)
            petrel_main_queue_drain()
        }
        tokens.deallocate()
        ready.deallocate()
    }
}

/// Why a socket could not be watched (`epoll_ctl`'s errno: ENOMEM, ENOSPC past
/// fs.epoll.max_user_watches).
struct PollError: Error, Equatable {
    let code: Int32
}
