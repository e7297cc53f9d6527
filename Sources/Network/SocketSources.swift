import CPetrel
import Dispatch
import Glibc

/// The readiness of one socket, delivered to its owner's queue, and the one place its
/// descriptor is closed.
///
/// Readiness comes from `ReadinessPoller` (one epoll set for the process). The socket is
/// registered one-shot on first interest; a report disables it, the handlers run on `queue`,
/// and then it is re-armed here with whatever interest they left — so it behaves as
/// level-triggered readiness: a handler that leaves bytes unread is called again. Interest
/// changed while no report is being handled is passed to the kernel at once. The descriptor is
/// closed on `queue` after the registration is removed, so it is closed exactly once and never
/// while watched (a new socket reusing the number cannot be confused with it).
///
/// Confined to `queue`, like its owner; handlers run there.
final class SocketSources: @unchecked Sendable {
    let fd: Int32
    private let queue: DispatchQueue
    private let poller = ReadinessPoller.shared
    /// The poller's token for this socket; 0 until first registered.
    private var token: UInt64 = 0
    private var reading = false
    private var writing = false
    /// The interest last given to the kernel, 0 once a report disarmed it.
    private var armed: Int32 = 0
    /// Handlers are running for a report: the re-arm waits until they are done.
    private var handling = false
    private var cancelled = false
    private var readableHandler: (() -> Void)?
    private var writableHandler: (() -> Void)?
    private var closedHandler: (() -> Void)?
    private var failedHandler: ((String) -> Void)?

    init(fd: Int32, queue: DispatchQueue) {
        self.fd = fd
        self.queue = queue
    }

    /// Starts watching for readability (on by default) and keeps the write handler for later.
    /// `closed` runs on the queue right after the descriptor is closed; `failed` runs there if
    /// the socket cannot be watched at all (the kernel's epoll limits): the owner should close.
    /// Handlers should capture their owner weakly; they are dropped on cancel.
    func start(
        reading: Bool = true, readable: @escaping () -> Void, writable: @escaping () -> Void,
        closed: @escaping () -> Void, failed: @escaping (String) -> Void
    ) {
        readableHandler = readable
        writableHandler = writable
        closedHandler = closed
        failedHandler = failed
        self.reading = reading
        update()
    }

    var isCancelled: Bool { cancelled }

    func setReading(_ on: Bool) {
        guard !cancelled, on != reading else { return }
        reading = on
        update()
    }

    func setWriting(_ on: Bool) {
        guard !cancelled, on != writing else { return }
        writing = on
        update()
    }

    /// Stops watching; the descriptor closes on the queue after what runs there now (then the
    /// `closed` handler runs, then `then`).
    func cancel(then: (() -> Void)? = nil) {
        guard !cancelled else { return }
        cancelled = true
        if let then {
            let closed = closedHandler
            closedHandler = {
                closed?()
                then()
            }
        }
        readableHandler = nil
        writableHandler = nil
        failedHandler = nil
        if token != 0 {
            poller.remove(fd: fd, token: token)
            token = 0
        }
        // Not now: code after cancel() in this turn may still name `fd`, which must not be
        // another socket's by then.
        queue.async { [self] in closeDescriptor() }
    }

    // MARK: Reports

    /// Called on the poller's thread.
    func deliver(_ ready: Int32) {
        queue.async { [self] in handle(ready) }
    }

    private func handle(_ ready: Int32) {
        guard !cancelled else { return }
        armed = 0
        handling = true
        if reading, ready & PETREL_READY_READ != 0 { readableHandler?() }
        if !cancelled, writing, ready & PETREL_READY_WRITE != 0 { writableHandler?() }
        handling = false
        update()
    }

    private var interest: Int32 { (reading ? PETREL_READY_READ : 0) | (writing ? PETREL_READY_WRITE : 0) }

    /// Gives the kernel the current interest, unless a report's handlers are running (they
    /// re-arm when done) or it already has it.
    private func update() {
        guard !cancelled, !handling else { return }
        let wanted = interest
        if token == 0 {
            guard wanted != 0 else { return }
            switch poller.add(self, fd: fd, interest: wanted) {
            case .success(let token):
                self.token = token
                armed = wanted
            case .failure(let error):
                fail("cannot watch socket \(fd): epoll_ctl: \(errnoText(error.code))")
            }
            return
        }
        guard wanted != armed else { return }
        if let error = poller.rearm(fd: fd, token: token, interest: wanted) {
            return fail("cannot re-arm socket \(fd): epoll_ctl: \(errnoText(error.code))")
        }
        armed = wanted
    }

    /// Reported on the queue, later: the caller may be in the middle of changing its state.
    private func fail(_ reason: String) {
        queue.async { [self] in
            guard !cancelled else { return }
            failedHandler?(reason)
        }
    }

    private func closeDescriptor() {
        // Linux releases the descriptor even when close reports EINTR: never retry.
        _ = Glibc.close(fd)
        let closed = closedHandler
        closedHandler = nil
        closed?()
    }
}
