/// One entry of a log: a magic-2 batch or a legacy (magic 0/1) message, located in a blob.
///
/// Every magic starts with the same 12 bytes (int64 offset, int32 size) and keeps its magic
/// byte at offset 16, which is how a blob of mixed entries is walked without parsing records.
public struct LogEntry: Sendable, Hashable {
    /// Where the entry lies, as indices of the collection that was iterated.
    public var range: Range<Int>
    /// The first 8 bytes: a batch's baseOffset; a legacy message's offset (for a compressed
    /// wrapper, the offset of its last inner message).
    public var offset: Int64
    public var magic: Int8
    /// The batch header, for magic 2.
    public var header: RecordBatchHeader?

    public var size: Int { range.count }
}

/// Walks a blob of back-to-back log entries: a Produce record set, a segment file's bytes, the
/// records of a Fetch response. Yields each entry's header and byte range; never parses records
/// and never checks CRCs (call `RecordBatchHeader.validate` on an entry for that).
///
/// Iteration ends at the end of the bytes, or early with `stop` telling why: a trailing partial
/// entry (normal at the end of a Fetch response cut at its size limit) or an entry whose size
/// or magic makes no sense (the rest of the blob cannot be framed).
public struct RecordBatchIterator: Sequence, IteratorProtocol, Sendable {
    public enum Stop: Sendable, Equatable {
        /// Every byte belonged to a complete entry.
        case end
        /// The entry at `position` is cut off: it needs `needed` bytes (nil when even its size is
        /// cut off) and only `available` remain.
        case partial(position: Int, available: Int, needed: Int?)
        /// The entry at `position` cannot be framed.
        case invalid(position: Int, RecordsError)
    }

    /// Smallest legal size field per magic: magic 2 header; v0: crc, magic, attributes, key and
    /// value lengths; v1 adds the timestamp.
    static func minimumSize(magic: Int8) -> Int32? {
        switch magic {
        case 0: return 14
        case 1: return 22
        case 2: return RecordBatchHeader.minimumBatchLength
        default: return nil
        }
    }

    let bytes: ArraySlice<UInt8>
    public private(set) var position: Int
    /// Why iteration ended; nil while it has not.
    public private(set) var stop: Stop?

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    /// A trailing partial entry, if iteration ended on one.
    public var partialTail: Range<Int>? {
        if case .partial(let position, _, _) = stop { return position..<bytes.endIndex }
        return nil
    }

    public mutating func next() -> LogEntry? {
        guard stop == nil else { return nil }
        let available = bytes.endIndex - position
        if available == 0 {
            stop = .end
            return nil
        }
        let start = position
        let result: Framed = bytes.withUnsafeBytes { all in
            let raw = UnsafeRawBufferPointer(rebasing: all[(start - bytes.startIndex)...])
            return Self.frame(raw, at: start)
        }
        switch result {
        case .entry(let entry):
            position = entry.range.upperBound
            return entry
        case .stop(let reason):
            stop = reason
            return nil
        }
    }

    enum Framed {
        case entry(LogEntry)
        case stop(Stop)
    }

    static func frame(_ raw: UnsafeRawBufferPointer, at start: Int) -> Framed {
        let overhead = RecordBatchHeader.logOverhead
        guard raw.count >= overhead else {
            return .stop(.partial(position: start, available: raw.count, needed: nil))
        }
        let offset = raw.loadBigEndian(at: 0, as: Int64.self)
        let sizeField = raw.loadBigEndian(at: RecordBatchHeader.batchLengthOffset, as: Int32.self)
        guard sizeField >= 0 else {
            return .stop(.invalid(position: start, .invalidBatchLength(sizeField, available: raw.count)))
        }
        let total = Int(sizeField) + overhead
        // The magic byte sits at 16 for every version; an entry too short to hold it is cut off
        // or (if complete) nonsense, and either way its size is checked against its magic below.
        guard raw.count > RecordBatchHeader.magicOffset else {
            return .stop(.partial(position: start, available: raw.count, needed: total))
        }
        let magic = Int8(bitPattern: raw[RecordBatchHeader.magicOffset])
        guard let minimum = minimumSize(magic: magic) else {
            return .stop(.invalid(position: start, .unsupportedMagic(magic)))
        }
        guard sizeField >= minimum else {
            return .stop(.invalid(position: start, .invalidBatchLength(sizeField, available: raw.count)))
        }
        guard total <= raw.count else {
            return .stop(.partial(position: start, available: raw.count, needed: total))
        }
        var header: RecordBatchHeader?
        if magic == RecordBatchHeader.magic {
            do {
                header = try RecordBatchHeader(parsing: raw)
            } catch {
                return .stop(.invalid(position: start, error))
            }
        }
        return .entry(LogEntry(range: start..<(start + total), offset: offset, magic: magic, header: header))
    }
}
