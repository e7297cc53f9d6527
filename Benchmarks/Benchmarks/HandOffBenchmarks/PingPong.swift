#if canImport(Glibc)
import Glibc
#endif
import BenchmarkSupport
import Dispatch

/// One message size for every mode: about a quorum acknowledgement or heartbeat.
let messageSize = 64

/// How each end of the pair waits for the other's message. Each round trip is two crossings:
/// one end's write wakes the other end, whose reply wakes the first.
enum HandOff: String, CaseIterable {
    /// A thread per end blocked in `read` (Apache ZooKeeper's peer links): the kernel wakes it.
    case blockingThreads = "thread blocked in read"
    /// An event loop per end on its own thread, handling the event inline (`poll` here: the
    /// cost is the wake-up, which an epoll loop shares).
    case ownLoop = "event loop on its own thread"
    /// A Dispatch read source per end on a serial queue (Petrel's network layer until it got its own epoll thread):
    /// libdispatch's event thread wakes a worker, which runs the handler and re-arms.
    case dispatchSources = "Dispatch read source"
    /// The caller blocked in read, the echo Petrel's `TCPServer` (its epoll thread, then the
    /// connection's queue): see `echoByPetrelServer`.
    case petrelServer = "blocked caller, echo by Petrel's TCPServer"
    /// The same with the network thread's queue under one serial queue, as in a ZooKeeper member.
    case petrelServerOnLoop = "blocked caller, echo by Petrel's TCPServer on a member's loop"
    /// The same with that loop on the main thread, which waits on the epoll set itself
    /// (`MainThreadLoop`, as a coordination-service process runs): one wake-up per message.
    case petrelServerOnMainLoop = "blocked caller, echo by Petrel's TCPServer on the main thread's loop"

    /// Seconds for `rounds` round trips.
    func run(rounds: Int) -> Double {
        switch self {
        case .blockingThreads: blocking(rounds: rounds)
        case .ownLoop: eventLoops(rounds: rounds)
        case .dispatchSources: dispatch(rounds: rounds)
        case .petrelServer: echoByPetrelServer(rounds: rounds, loop: nil)
        case .petrelServerOnLoop: echoByPetrelServer(rounds: rounds, loop: .ownQueue)
        case .petrelServerOnMainLoop: echoByPetrelServer(rounds: rounds, loop: .mainThread)
        }
    }
}

/// Starts `body` on a new POSIX thread (not a Dispatch worker) and returns a join.
func spawn(_ body: @escaping @Sendable () -> Void) -> () -> Void {
    final class Box: @unchecked Sendable { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let made = pthread_create(&thread, nil, { raw in
        guard let raw else { return nil }
        let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
        box.body()
        return nil
    }, box)
    precondition(made == 0, "pthread_create failed")
    return { pthread_join(thread, nil) }
}

private func blocking(rounds: Int) -> Double {
    let pair = LoopbackPair(nonBlocking: false)
    let echo = spawn {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: messageSize, alignment: 8)
        defer { buffer.deallocate() }
        while readFully(pair.b, buffer, messageSize) { writeFully(pair.b, buffer, messageSize) }
    }
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: messageSize, alignment: 8)
    buffer.initializeMemory(as: UInt8.self, repeating: 7, count: messageSize)
    let start = now()
    for _ in 0..<rounds {
        writeFully(pair.a, buffer, messageSize)
        precondition(readFully(pair.a, buffer, messageSize), "echo ended early")
    }
    let seconds = now() - start
    finish(pair, echo: echo, buffer)
    return seconds
}

/// Ends a threaded run: the caller's end stops sending, the echo thread sees end of stream.
private func finish(_ pair: LoopbackPair, echo join: () -> Void, _ buffer: UnsafeMutableRawPointer) {
    shutdown(pair.a, Int32(SHUT_WR))
    join()
    buffer.deallocate()
    pair.close()
}

/// One end's loop: waits in `poll`, reads whole messages, and calls `onMessage` for each
/// (which may write); returns when `onMessage` says stop or the peer closes.
private func eventLoop(_ fd: Int32, _ onMessage: (UnsafeMutableRawPointer) -> Bool) {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 8)
    defer { buffer.deallocate() }
    var held = 0
    var wanted = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    while true {
        if poll(&wanted, 1, -1) < 1 { continue }
        while true {
            let got = read(fd, buffer + held, 64 * 1024 - held)
            if got == 0 { return }
            if got < 0 { break }
            held += got
        }
        var offset = 0
        while held - offset >= messageSize {
            if !onMessage(buffer + offset) { return }
            offset += messageSize
        }
        if offset > 0 {
            memmove(buffer, buffer + offset, held - offset)
            held -= offset
        }
    }
}

private func eventLoops(rounds: Int) -> Double {
    let pair = LoopbackPair(nonBlocking: true)
    let echo = spawn { eventLoop(pair.b) { message in writeFully(pair.b, message, messageSize); return true } }
    let first = UnsafeMutableRawPointer.allocate(byteCount: messageSize, alignment: 8)
    first.initializeMemory(as: UInt8.self, repeating: 7, count: messageSize)
    var remaining = rounds
    let start = now()
    writeFully(pair.a, first, messageSize)
    eventLoop(pair.a) { message in
        remaining -= 1
        if remaining == 0 { return false }
        writeFully(pair.a, message, messageSize)
        return true
    }
    let seconds = now() - start
    finish(pair, echo: echo, first)
    return seconds
}

/// One end on a Dispatch read source, confined to its queue.
private final class DispatchEnd: @unchecked Sendable {
    let fd: Int32
    let source: any DispatchSourceRead
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 8)
    var held = 0

    init(fd: Int32, label: String, onMessage: @escaping (DispatchEnd, UnsafeMutableRawPointer) -> Void) {
        self.fd = fd
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: DispatchQueue(label: label))
        // Strong: a report may still be delivered after `stop`; cancelling releases the handler.
        source.setEventHandler { [self] in
            while true {
                let got = read(fd, buffer + held, 64 * 1024 - held)
                if got <= 0 { break }
                held += got
            }
            var offset = 0
            while held - offset >= messageSize {
                onMessage(self, buffer + offset)
                offset += messageSize
            }
            if offset > 0 {
                memmove(buffer, buffer + offset, held - offset)
                held -= offset
            }
        }
        source.setCancelHandler { [buffer] in buffer.deallocate() }
        source.activate()
    }

    func stop() {
        source.cancel()
    }
}

private func dispatch(rounds: Int) -> Double {
    let pair = LoopbackPair(nonBlocking: true)
    let done = DispatchSemaphore(value: 0)
    let echo = DispatchEnd(fd: pair.b, label: "echo") { end, message in writeFully(end.fd, message, messageSize) }
    nonisolated(unsafe) var remaining = rounds
    let caller = DispatchEnd(fd: pair.a, label: "caller") { end, message in
        remaining -= 1
        if remaining == 0 { done.signal(); return }
        writeFully(end.fd, message, messageSize)
    }
    let first = UnsafeMutableRawPointer.allocate(byteCount: messageSize, alignment: 8)
    first.initializeMemory(as: UInt8.self, repeating: 7, count: messageSize)
    let start = now()
    writeFully(pair.a, first, messageSize)
    // The harness waits here, outside the measured hand-offs (this thread is not a worker).
    done.wait()
    let seconds = now() - start
    caller.stop()
    echo.stop()
    first.deallocate()
    pair.close()
    return seconds
}
