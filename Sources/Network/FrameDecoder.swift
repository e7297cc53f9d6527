/// Splits a byte stream into frames: `int32 big-endian size` followed by that many bytes.
///
/// The size is checked the moment its four bytes are in, before anything is allocated for the
/// payload; zero and negative sizes are refused too (neither Kafka nor ZooKeeper sends empty
/// frames). The payload buffer grows with the bytes that actually arrive rather than with the
/// size the peer claims, so a peer announcing 100 MB and sending 10 costs 10 bytes, not 100 MB.
struct FrameDecoder {
    enum Failure: Error, Equatable {
        case tooLarge(Int, limit: Int)
        case negative(Int)
        case empty
    }

    let maxFrameSize: Int
    private var header: UInt32 = 0
    private var headerCount = 0
    /// Payload size of the frame being read; nil while reading a size prefix.
    private var expected: Int?
    private var payload: [UInt8] = []

    /// First allocation for a payload; later growth doubles, capped at the frame size.
    static let initialPayloadCapacity = 64 * 1024

    init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// True when part of a frame (even one byte of its size) has arrived but not all of it.
    var isMidFrame: Bool { headerCount > 0 || expected != nil }

    /// Consumes bytes of `input` from `index` until a frame completes (returned) or the input
    /// runs out (nil, `index == input.count`).
    mutating func decode(_ input: UnsafeBufferPointer<UInt8>, from index: inout Int) throws(Failure) -> [UInt8]? {
        while index < input.count {
            guard let size = expected else {
                header = header << 8 | UInt32(input[index])
                index += 1
                headerCount += 1
                if headerCount == 4 { try beginPayload() }
                continue
            }
            let take = min(size - payload.count, input.count - index)
            let needed = payload.count + take
            if payload.capacity < needed {
                payload.reserveCapacity(min(size, max(needed, payload.capacity * 2)))
            }
            payload.append(contentsOf: UnsafeBufferPointer(rebasing: input[index..<(index + take)]))
            index += take
            if payload.count == size {
                let frame = payload
                payload = []
                expected = nil
                return frame
            }
        }
        return nil
    }

    private mutating func beginPayload() throws(Failure) {
        let size = Int(Int32(bitPattern: header))
        header = 0
        headerCount = 0
        if size < 0 { throw .negative(size) }
        if size == 0 { throw .empty }
        if size > maxFrameSize { throw .tooLarge(size, limit: maxFrameSize) }
        expected = size
        payload = []
        payload.reserveCapacity(min(size, Self.initialPayloadCapacity))
    }
}

extension FrameDecoder.Failure: CustomStringConvertible {
    var description: String {
        switch self {
        case .tooLarge(let size, let limit): "frame size \(size) exceeds the limit of \(limit) bytes"
        case .negative(let size): "negative frame size \(size)"
        case .empty: "empty frame (size 0)"
        }
    }
}
