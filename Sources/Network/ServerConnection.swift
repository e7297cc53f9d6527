import Glibc

/// One accepted connection: reads frames, hands them to the handler in order, writes the
/// replies back in request order, and applies back-pressure, idle and shutdown rules.
///
/// Owned by its `NetworkThread` and touched only on that thread's queue (hence
/// `@unchecked Sendable`). Its lifecycle is `open` → optionally `finishing` (no more reading;
/// answer what was read, then close) → `closed` (socket cancelled, queued frames released,
/// quota and metrics returned, handler told), each step once.
final class ServerConnection: @unchecked Sendable {
    private enum Phase {
        case open
        /// The peer stopped sending or the server is shutting down: answer every request read
        /// so far, then close.
        case finishingOutstanding
        /// The handler asked to close: send the responses queued before that, then close.
        case finishingQueued
        case closed
    }

    let info: ConnectionInfo
    private let thread: NetworkThread
    private let context: ServerContext
    private let sources: SocketSources
    private var phase = Phase.open
    private var decoder: FrameDecoder
    private var sequencer = ResponseSequencer()
    private var outbound = OutboundQueue()
    /// Bytes read past the last frame dispatched while back-pressure was on; consumed before
    /// reading the socket again.
    private var unread: [UInt8] = []
    /// The last write stopped at EAGAIN: wait for writability.
    private var writeBlocked = false
    /// A flush pass of the thread will write the queued output (`NetworkThread.flushSoon`).
    private var flushScheduled = false
    /// Frames are being read and handed out: replies made meanwhile wait for the flush pass,
    /// so a burst of requests answered at once shares a write.
    private var readTurn = false
    private var lastActivity = ContinuousClock.now
    /// The first bytes of the connection while `firstWordResponder` has yet to see four of
    /// them; nil once they are handed on (or when there is no responder).
    private var firstWord: [UInt8]?

    init(fd: Int32, info: ConnectionInfo, thread: NetworkThread) {
        self.info = info
        self.thread = thread
        self.context = thread.context
        self.sources = SocketSources(fd: fd, queue: thread.queue)
        self.decoder = FrameDecoder(maxFrameSize: thread.context.configuration.maxRequestSize)
        if thread.context.configuration.firstWordResponder != nil { firstWord = [] }
    }

    func start() {
        let thread = self.thread
        sources.start(
            readable: { [weak self] in self?.readable() },
            writable: { [weak self] in self?.writable() },
            closed: { thread.socketDidClose() },
            failed: { [weak self] reason in self?.close(reason: reason) })
    }

    /// Below the in-flight limit and the output budget: another request may be handed out.
    private var mayDispatch: Bool {
        phase == .open
            && sequencer.outstanding < context.configuration.maxInFlightPerConnection
            && outbound.memoryBytes + sequencer.heldBytes <= context.configuration.maxPendingOutputBytes
    }

    // MARK: Reading

    private func readable() {
        guard mayDispatch, unread.isEmpty else { return refresh() }
        let buffer = thread.readBuffer
        var reads = 0
        readTurn = true
        defer { readTurn = false }
        // A few reads per event, then yield the queue to other connections; level-triggered
        // readiness brings us back if more is waiting.
        while reads < 4, mayDispatch {
            let count = Glibc.read(sources.fd, buffer.baseAddress, buffer.count)
            if count > 0 {
                reads += 1
                context.metrics.bytesRead.add(count, ordering: .relaxed)
                lastActivity = .now
                consume(UnsafeBufferPointer(rebasing: buffer[0..<count]))
                if count < buffer.count { break }
            } else if count == 0 {
                peerStoppedSending()
                break
            } else {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { break }
                if code == ECONNRESET || code == ETIMEDOUT { return close(reason: nil) }
                return close(reason: "read failed: \(errnoText(code))")
            }
        }
        refresh()
    }

    /// Decodes and dispatches frames while back-pressure allows; keeps the rest in `unread`.
    private func consume(_ bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        if firstWord != nil, !sniffFirstWord(bytes, from: &index) { return }
        while index < bytes.count {
            guard mayDispatch else {
                unread.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index...]))
                return
            }
            do {
                if let frame = try decoder.decode(bytes, from: &index) { dispatch(frame) }
            } catch {
                return close(reason: "\(error), refused before allocating anything for it")
            }
        }
    }

    /// Collects the connection's first four bytes for `firstWordResponder`. False when the
    /// responder claimed the connection (its answer is queued and the connection finishing)
    /// or the connection closed; true when reading frames goes on from `index`.
    private func sniffFirstWord(_ bytes: UnsafeBufferPointer<UInt8>, from index: inout Int) -> Bool {
        guard var word = firstWord, let responder = context.configuration.firstWordResponder else {
            firstWord = nil
            return true
        }
        while word.count < 4, index < bytes.count {
            word.append(bytes[index])
            index += 1
        }
        guard word.count == 4 else {
            firstWord = word
            return true
        }
        firstWord = nil
        let value = word.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        if let answer = responder(value, info) {
            phase = .finishingQueued
            unread = []
            if !answer.isEmpty { outbound.append(OutgoingFrame(prefixed: answer)) }
            flush()
            return false
        }
        // Not claimed: the four bytes are the first frame's size after all.
        var headerIndex = 0
        do {
            _ = try word.withUnsafeBufferPointer { buffer throws(FrameDecoder.Failure) in
                try decoder.decode(buffer, from: &headerIndex)
            }
        } catch {
            close(reason: "\(error), refused before allocating anything for it")
            return false
        }
        return true
    }

    private func dispatch(_ frame: [UInt8]) {
        context.metrics.framesRead.add(1, ordering: .relaxed)
        let token = ReplyToken(thread: thread, connectionID: info.id, sequence: sequencer.issue())
        context.handler.handle(frame: frame, from: info) { token.fulfil($0) }
    }

    /// End of stream. A frame cut short is abandoned; complete requests still get answers
    /// (the peer may have shut down only its sending side).
    private func peerStoppedSending() {
        if decoder.isMidFrame || !(firstWord?.isEmpty ?? true) { return close(reason: nil) }
        if phase == .open { phase = .finishingOutstanding }
        unread = []
    }

    // MARK: Replies and writing

    func complete(_ sequence: UInt64, with reply: Reply) {
        guard phase == .open || phase == .finishingOutstanding, sequencer.fulfil(sequence, with: reply) else {
            return reply.discard()
        }
        lastActivity = .now
        while let ready = sequencer.popReady() {
            switch ready {
            case .frame(let frame):
                if let problem = frame.problem() {
                    frame.finish(written: false)
                    return close(reason: "handler bug: \(problem)")
                }
                outbound.append(frame)
            case .none:
                continue
            case .close(let reason):
                context.log("closing connection \(info) at the handler's request: \(reason)")
                phase = .finishingQueued
                sequencer.discardAll()
                unread = []
            }
        }
        if sequencer.outstanding == 0 && !writeBlocked && !readTurn {
            // No other reply is on its way to share a write (none outstanding, and no frames
            // being read that could make more): waiting for the flush pass would only put this
            // one behind whatever the queue (an event loop shared with other work) got meanwhile.
            flush()
        } else {
            scheduleFlush()
        }
        refresh()
    }

    /// A frame nobody asked for (see `ConnectionChannel`): straight to the output queue.
    func push(_ frame: OutgoingFrame) {
        guard phase == .open || phase == .finishingOutstanding else { return frame.finish(written: false) }
        if let problem = frame.problem() {
            frame.finish(written: false)
            return close(reason: "handler bug: pushed \(problem)")
        }
        lastActivity = .now
        outbound.append(frame)
        scheduleFlush()
        refresh()
    }

    /// Asks the thread for a write after the work queued behind this one (more replies may be
    /// on their way); while blocked, the armed write source calls back instead: writing now
    /// would only meet EAGAIN again.
    private func scheduleFlush() {
        guard !writeBlocked, !flushScheduled, !outbound.isEmpty, phase != .closed else { return }
        flushScheduled = true
        thread.flushSoon(self)
    }

    /// The thread's flush pass.
    func flushRequested() {
        flushScheduled = false
        guard !writeBlocked else { return }
        flush()
        refresh()
    }

    /// Sends what is queued for output, then closes; replies not yet released are dropped.
    func finish(reason: String) {
        guard phase != .closed, phase != .finishingQueued else { return }
        context.log("closing connection \(info): \(reason)")
        phase = .finishingQueued
        sequencer.discardAll()
        unread = []
        refresh()
    }

    private func writable() {
        flush()
        refresh()
    }

    private func flush() {
        guard phase != .closed, !outbound.isEmpty else { return }
        let result = outbound.flush(to: sources.fd)
        if result.bytesWritten > 0 {
            context.metrics.bytesWritten.add(result.bytesWritten, ordering: .relaxed)
            lastActivity = .now
        }
        if result.framesWritten > 0 {
            context.metrics.framesWritten.add(result.framesWritten, ordering: .relaxed)
        }
        if result.writeCalls > 0 {
            context.metrics.writeCalls.add(result.writeCalls, ordering: .relaxed)
        }
        switch result.outcome {
        case .drained: writeBlocked = false
        case .wouldBlock: writeBlocked = true
        case .peerGone: close(reason: nil)
        case .failed(let why): close(reason: why)
        }
    }

    /// After every event: resume consuming held bytes if allowed, close when finished, and
    /// set read and write interest to match the state.
    private func refresh() {
        if mayDispatch, !unread.isEmpty {
            let held = unread
            unread = []
            held.withUnsafeBufferPointer { consume($0) }
        }
        switch phase {
        case .closed:
            return
        case .finishingQueued where outbound.isEmpty:
            return close(reason: nil)
        case .finishingOutstanding where outbound.isEmpty && sequencer.outstanding == 0:
            return close(reason: nil)
        default:
            break
        }
        sources.setReading(mayDispatch && unread.isEmpty)
        sources.setWriting(writeBlocked && !outbound.isEmpty)
    }

    // MARK: Idle, shutdown, close

    func closeIfIdle(now: ContinuousClock.Instant, limit: Duration) {
        guard phase == .open, sequencer.outstanding == 0, outbound.isEmpty, now - lastActivity >= limit else { return }
        close(reason: "idle for longer than connections.max.idle.ms (\(limit))")
    }

    func beginDrain() {
        guard phase == .open else { return }
        phase = .finishingOutstanding
        unread = []
        refresh()
    }

    /// Closes now, once. `reason` (logged) is nil for ordinary ends: the peer left, or
    /// everything was answered.
    func close(reason: String?) {
        guard phase != .closed else { return }
        phase = .closed
        if let reason { context.log("closing connection \(info): \(reason)") }
        sources.cancel()
        outbound.discardAll()
        sequencer.discardAll()
        unread = []
        thread.connectionDidClose(info.id)
        context.quotas.release(host: info.remoteHost)
        context.metrics.openConnections.subtract(1, ordering: .relaxed)
        context.handler.connectionClosed(info)
    }
}
