import Dispatch
import Glibc

/// The read and write readiness sources of one socket, and the one place its descriptor is
/// closed.
///
/// Readiness comes from Dispatch sources (libdispatch multiplexes them over one epoll set).
/// Interest is switched with suspend/resume; the flags here keep those calls balanced, as
/// Dispatch requires. The write source is made on first need: most connections never fill
/// their socket buffer. The descriptor is closed in the cancel handler of the last source, the
/// only moment Dispatch guarantees it no longer watches it, so it is closed exactly once and
/// never while registered (a new socket reusing the number cannot be confused with it).
///
/// Confined to `queue`, like its owner; handlers run there.
final class SocketSources: @unchecked Sendable {
    let fd: Int32
    private let queue: DispatchQueue
    private var read: (any DispatchSourceRead)?
    private var write: (any DispatchSourceWrite)?
    private var reading = false
    private var writing = false
    private var cancelled = false
    private var liveSources = 0
    private var writableHandler: (() -> Void)?
    private var closedHandler: (() -> Void)?

    init(fd: Int32, queue: DispatchQueue) {
        self.fd = fd
        self.queue = queue
    }

    /// Starts watching for readability (on by default) and keeps the write handler for later.
    /// `closed` runs on the queue right after the descriptor is closed. Handlers should capture
    /// their owner weakly; they are dropped on cancel.
    func start(reading: Bool = true, readable: @escaping () -> Void, writable: @escaping () -> Void, closed: @escaping () -> Void) {
        writableHandler = writable
        closedHandler = closed
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler(handler: readable)
        source.setCancelHandler { [self] in sourceCancelled() }
        liveSources += 1
        read = source
        if reading {
            source.activate()
            self.reading = true
        } else {
            source.suspend()
            source.activate()
        }
    }

    var isCancelled: Bool { cancelled }

    func setReading(_ on: Bool) {
        guard !cancelled, on != reading, let read else { return }
        reading = on
        if on { read.resume() } else { read.suspend() }
    }

    func setWriting(_ on: Bool) {
        guard !cancelled, on != writing else { return }
        writing = on
        if let write {
            if on { write.resume() } else { write.suspend() }
            return
        }
        let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        if let writableHandler { source.setEventHandler(handler: writableHandler) }
        source.setCancelHandler { [self] in sourceCancelled() }
        liveSources += 1
        write = source
        source.activate()
    }

    /// Stops both sources; the descriptor closes once Dispatch has let go of it (then the
    /// `closed` handler runs, then `then`). With no source started, closes it now.
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
        writableHandler = nil
        if liveSources == 0 {
            closeDescriptor()
            return
        }
        if let read {
            read.cancel()
            // A suspended source never delivers its cancellation: resume it.
            if !reading { read.resume() }
        }
        if let write {
            write.cancel()
            if !writing { write.resume() }
        }
    }

    private func sourceCancelled() {
        liveSources -= 1
        if liveSources == 0 {
            read = nil
            write = nil
            closeDescriptor()
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
