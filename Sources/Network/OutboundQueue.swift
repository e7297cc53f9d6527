import Glibc
import Wire

/// Frames waiting to go out on one socket, in order, and the code that writes them.
///
/// In-memory bytes of consecutive frames go out together in one `sendmsg` (a gather write, so
/// many small pipelined responses cost one system call); a spliced file region goes out with
/// `sendfile` from its file at its offset. Partial progress of either is remembered, so a
/// frame resumes exactly where the kernel stopped taking bytes. Owned by one queue.
struct OutboundQueue {
    enum Outcome: Equatable {
        /// Everything queued went to the kernel.
        case drained
        /// The socket buffer is full: wait for writability.
        case wouldBlock
        /// The peer closed or reset the connection: close quietly.
        case peerGone
        /// Anything else, described for the log.
        case failed(String)
    }

    struct FlushResult {
        var outcome: Outcome
        var bytesWritten = 0
        var framesWritten = 0
        /// `sendmsg` and `sendfile` calls that wrote something.
        var writeCalls = 0
    }

    /// At most this many buffers per gather write (Linux allows 1024).
    static let maxGather = 64
    /// Most bytes asked of one `sendfile` call; Linux caps a call near 2 GiB anyway.
    static let maxSendfileChunk = 1 << 30

    /// Finished frames are set to nil and trimmed from the front now and then.
    private var frames: [PendingFrame?] = []
    private var head = 0
    /// In-memory bytes not yet written (what back-pressure budgets).
    private(set) var memoryBytes = 0

    var isEmpty: Bool { head == frames.count }

    mutating func append(_ frame: OutgoingFrame) {
        memoryBytes += frame.bytes.count
        frames.append(PendingFrame(frame: frame))
    }

    /// Releases every unsent frame (the connection is closing).
    mutating func discardAll() {
        for index in head..<frames.count {
            frames[index]?.frame.finish(written: false)
        }
        frames.removeAll()
        head = 0
        memoryBytes = 0
    }

    /// Writes until everything is out, the socket would block, or an error.
    mutating func flush(to socket: Int32) -> FlushResult {
        var result = FlushResult(outcome: .drained)
        defer { trim() }
        while head < frames.count {
            guard var pending = frames[head] else { head += 1; continue }
            let piece = pending.currentPiece()
            frames[head] = pending
            switch piece {
            case .done:
                frames[head] = nil
                head += 1
                result.framesWritten += 1
                pending.frame.finish(written: true)
            case .region(let region, let sent):
                var offset = off_t(region.offset) + off_t(sent)
                let written = sendfile(socket, region.fd, &offset, min(region.count - sent, Self.maxSendfileChunk))
                if written > 0 {
                    frames[head]?.regionSent += written
                    result.bytesWritten += written
                    result.writeCalls += 1
                } else if written == 0 {
                    result.outcome = .failed(
                        "file region (fd \(region.fd), offset \(region.offset), \(region.count) bytes) ends early: "
                            + "end of file after \(sent) bytes")
                    return result
                } else if let outcome = Self.outcome(ofErrno: errno, call: "sendfile from fd \(region.fd)") {
                    result.outcome = outcome
                    return result
                }
            case .memory:
                let pieces = gatherPieces()
                let written = writeGathered(to: socket, pieces)
                if written == 0 {
                    // A stream socket takes at least a byte or says EAGAIN; be safe anyway.
                    result.outcome = .wouldBlock
                    return result
                } else if written > 0 {
                    advance(pieces, by: written)
                    result.bytesWritten += written
                    result.writeCalls += 1
                } else if let outcome = Self.outcome(ofErrno: errno, call: "sendmsg") {
                    result.outcome = outcome
                    return result
                }
            }
        }
        return result
    }

    /// What a failed write means; nil for EINTR (try again).
    static func outcome(ofErrno code: Int32, call: String) -> Outcome? {
        switch code {
        case EINTR: nil
        case EAGAIN, EWOULDBLOCK: .wouldBlock
        case EPIPE, ECONNRESET, ENOTCONN, ETIMEDOUT, ECONNABORTED: .peerGone
        default: .failed("\(call) failed: \(errnoText(code))")
        }
    }

    // MARK: Gather writes

    private typealias Piece = (frame: Int, range: Range<Int>)

    /// In-memory pieces from the head onward, up to the first file region.
    private mutating func gatherPieces() -> [Piece] {
        var pieces: [Piece] = []
        var index = head
        while index < frames.count, pieces.count < Self.maxGather, var pending = frames[index] {
            guard case .memory(let range) = pending.currentPiece() else { break }
            frames[index] = pending
            pieces.append((index, range))
            // Only a piece that ends its frame lets the next frame join the same write.
            guard range.upperBound == pending.frame.bytes.count, pending.spliceIndex == pending.frame.splices.count else { break }
            index += 1
        }
        return pieces
    }

    private func writeGathered(to socket: Int32, _ pieces: [Piece]) -> Int {
        var vectors: [iovec] = []
        vectors.reserveCapacity(pieces.count)
        return withVectors(pieces, from: 0, into: &vectors) { vectors in
            vectors.withUnsafeMutableBufferPointer { buffer in
                var message = msghdr()
                message.msg_iov = buffer.baseAddress
                message.msg_iovlen = buffer.count
                // MSG_NOSIGNAL: a vanished peer is EPIPE here, not a process-killing SIGPIPE.
                return sendmsg(socket, &message, Int32(MSG_NOSIGNAL))
            }
        }
    }

    /// Pins each piece's array storage for the duration of the write by nesting the
    /// `withUnsafeBytes` scopes (one level per piece, at most `maxGather`).
    private func withVectors(
        _ pieces: [Piece], from position: Int, into vectors: inout [iovec], _ body: (inout [iovec]) -> Int
    ) -> Int {
        guard position < pieces.count, let pending = frames[pieces[position].frame] else { return body(&vectors) }
        let range = pieces[position].range
        return pending.frame.bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return body(&vectors) }
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base + range.lowerBound), iov_len: range.count))
            return withVectors(pieces, from: position + 1, into: &vectors, body)
        }
    }

    private mutating func advance(_ pieces: [Piece], by count: Int) {
        var remaining = count
        for piece in pieces where remaining > 0 {
            let taken = min(remaining, piece.range.count)
            frames[piece.frame]?.byteIndex += taken
            remaining -= taken
        }
        memoryBytes -= count
    }

    private mutating func trim() {
        if head == frames.count {
            frames.removeAll(keepingCapacity: frames.count <= 64)
            head = 0
        } else if head >= 32 {
            frames.removeFirst(head)
            head = 0
        }
    }
}

/// A queued frame and how far it has been written.
private struct PendingFrame {
    enum Piece {
        case memory(Range<Int>)
        case region(FileRegion, sent: Int)
        case done
    }

    let frame: OutgoingFrame
    /// Next buffer byte to send.
    var byteIndex = 0
    /// Next splice whose region is not fully sent.
    var spliceIndex = 0
    /// Bytes of that region already sent.
    var regionSent = 0

    init(frame: OutgoingFrame) {
        self.frame = frame
    }

    /// What to send next. A region goes before the buffer byte at its position; empty regions
    /// are stepped over.
    mutating func currentPiece() -> Piece {
        let splices = frame.splices
        while spliceIndex < splices.count, splices[spliceIndex].at == byteIndex {
            let region = splices[spliceIndex].region
            if regionSent < region.count { return .region(region, sent: regionSent) }
            spliceIndex += 1
            regionSent = 0
        }
        let end = spliceIndex < splices.count ? splices[spliceIndex].at : frame.bytes.count
        return byteIndex < end ? .memory(byteIndex..<end) : .done
    }
}
