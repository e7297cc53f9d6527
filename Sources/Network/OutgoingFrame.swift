import Wire

/// One frame to send: `bytes` (the 4-byte size prefix included) with file regions spliced in
/// at given positions. The regions go out with `sendfile(2)` straight from their files; they
/// are never read into memory.
///
/// The file descriptors in the splices must stay open until the frame is done with. Either
/// give the object that keeps them open as `keepAlive` (it is released when the frame is done)
/// or use `onDone`. "Done" is exactly once per frame handed to the server, on a network thread:
/// `written == true` when its last byte went to the kernel, false when it was dropped because
/// the connection closed first.
public struct OutgoingFrame: Sendable {
    public var bytes: [UInt8]
    public var splices: [Splice]
    public var keepAlive: (any Sendable)?
    public var onDone: (@Sendable (_ written: Bool) -> Void)?

    /// A frame from a writer whose first four bytes are the reserved and patched size prefix.
    public init(writer: ByteWriter, keepAlive: (any Sendable)? = nil, onDone: (@Sendable (_ written: Bool) -> Void)? = nil) {
        self.bytes = writer.bytes
        self.splices = writer.splices
        self.keepAlive = keepAlive
        self.onDone = onDone
    }

    /// A frame of in-memory bytes; the size prefix is added here.
    public init(payload: [UInt8], onDone: (@Sendable (_ written: Bool) -> Void)? = nil) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(payload.count + 4)
        let size = UInt32(truncatingIfNeeded: payload.count)
        bytes.append(UInt8(truncatingIfNeeded: size >> 24))
        bytes.append(UInt8(truncatingIfNeeded: size >> 16))
        bytes.append(UInt8(truncatingIfNeeded: size >> 8))
        bytes.append(UInt8(truncatingIfNeeded: size))
        bytes.append(contentsOf: payload)
        self.bytes = bytes
        self.splices = []
        self.keepAlive = nil
        self.onDone = onDone
    }

    /// A frame whose bytes already carry their size prefix.
    init(prefixed bytes: [UInt8]) {
        self.bytes = bytes
        self.splices = []
        self.keepAlive = nil
        self.onDone = nil
    }

    /// Bytes on the wire: buffer plus spliced regions.
    public var wireCount: Int {
        splices.reduce(bytes.count) { $0 + $1.region.count }
    }

    /// Why this frame cannot go on the wire as is, or nil. A wrong frame from a handler is a
    /// bug; the connection is closed rather than desynchronising the peer.
    func problem() -> String? {
        guard bytes.count >= 4 else { return "response frame shorter than its size prefix" }
        var previous = 0
        for splice in splices {
            if splice.at < previous || splice.at > bytes.count {
                return "response splice at \(splice.at) out of order or outside the buffer (\(bytes.count) bytes)"
            }
            if splice.region.count < 0 || splice.region.offset < 0 {
                return "response file region with negative offset or count"
            }
            previous = splice.at
        }
        let announced = Int(Int32(bitPattern: UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])))
        if announced != wireCount - 4 {
            return "response size prefix says \(announced) bytes but the frame carries \(wireCount - 4)"
        }
        return nil
    }

    /// Reports the frame done; `keepAlive` goes when the last copy of this value does.
    func finish(written: Bool) {
        onDone?(written)
    }
}
