/// Reads message sets of magic 0 and 1 and converts them to a magic-2 batch, for old clients'
/// data (Produce < 3) and old segment files.
///
/// Compressed wrappers are expanded into their inner messages with absolute offsets:
///
/// - magic 1: inner offsets are relative (0, 1, ...) and the wrapper's offset is the absolute
///   offset of the last inner message, so inner i is at wrapper − last + relative(i). A wrapper
///   offset of 0 (a producer that left offsets to the broker) keeps the inner offsets as they
///   are. With LogAppendTime on the wrapper, every inner message takes the wrapper's timestamp.
/// - magic 0: inner offsets are absolute.
/// - lz4 inside magic 0 carries old Kafka's wrong frame header checksum (see `LZ4Frame`).
///
/// As in Kafka, an inner message must have the wrapper's magic, must not itself be compressed,
/// and a wrapper must hold at least one message.
public enum LegacyMessageSet {
    /// The entries of a message set as stored: compressed wrappers are not expanded. A trailing
    /// partial entry is ignored when `allowPartialTail` (the end of a fetch response) and an
    /// error otherwise.
    public static func decodeShallow(
        _ bytes: ArraySlice<UInt8>, verifyCRC: Bool = true, allowPartialTail: Bool = true
    ) throws(RecordsError) -> [LegacyMessage] {
        var iterator = RecordBatchIterator(bytes)
        var messages: [LegacyMessage] = []
        while let entry = iterator.next() {
            guard entry.magic == 0 || entry.magic == 1 else { throw RecordsError.unsupportedMagic(entry.magic) }
            messages.append(try LegacyMessage.decode(bytes[entry.range], verifyCRC: verifyCRC))
        }
        switch iterator.stop {
        case .invalid(_, let error)?: throw error
        case .partial(let position, let available, let needed)? where !allowPartialTail:
            let offset = messages.last?.offset ?? -1
            throw RecordsError.invalidLegacyMessage(
                offset: offset,
                detail: "partial entry at byte \(position): \(available) of \(needed.map(String.init) ?? "12+") bytes")
        default: return messages
        }
    }

    /// Every message of the set, wrappers expanded into their inner messages with absolute
    /// offsets. Inner sets inflate to at most `maxUncompressedBytes` each.
    public static func decode(
        _ bytes: ArraySlice<UInt8>, maxUncompressedBytes: Int = RecordBatch.defaultMaxUncompressedBytes,
        verifyCRC: Bool = true, allowPartialTail: Bool = true
    ) throws(RecordsError) -> [LegacyMessage] {
        var messages: [LegacyMessage] = []
        for message in try decodeShallow(bytes, verifyCRC: verifyCRC, allowPartialTail: allowPartialTail) {
            guard let codec = message.compression else {
                throw RecordsError.invalidLegacyMessage(offset: message.offset, detail: "unknown codec \(message.attributes & 0x07)")
            }
            if codec == .none {
                messages.append(message)
            } else {
                messages.append(contentsOf: try expand(message, codec: codec, maxUncompressedBytes: maxUncompressedBytes, verifyCRC: verifyCRC))
            }
        }
        return messages
    }

    public static func decode(
        _ bytes: [UInt8], maxUncompressedBytes: Int = RecordBatch.defaultMaxUncompressedBytes,
        verifyCRC: Bool = true, allowPartialTail: Bool = true
    ) throws(RecordsError) -> [LegacyMessage] {
        try decode(bytes[...], maxUncompressedBytes: maxUncompressedBytes, verifyCRC: verifyCRC, allowPartialTail: allowPartialTail)
    }

    static func expand(
        _ wrapper: LegacyMessage, codec: CompressionCodec, maxUncompressedBytes: Int, verifyCRC: Bool
    ) throws(RecordsError) -> [LegacyMessage] {
        if codec == .zstd {
            throw RecordsError.invalidLegacyMessage(offset: wrapper.offset, detail: "zstd needs magic 2")
        }
        guard let value = wrapper.value else {
            throw RecordsError.invalidLegacyMessage(offset: wrapper.offset, detail: "compressed wrapper with a null value")
        }
        let inflated = try Compression.decompress(
            value, codec: codec, maxOutput: maxUncompressedBytes, legacyLZ4HeaderChecksum: wrapper.magic == 0)
        var inner = try decodeShallow(inflated[...], verifyCRC: verifyCRC, allowPartialTail: false)
        guard let lastInner = inner.last else {
            throw RecordsError.invalidLegacyMessage(offset: wrapper.offset, detail: "compressed wrapper with no messages")
        }
        for message in inner {
            if message.magic != wrapper.magic {
                throw RecordsError.invalidLegacyMessage(
                    offset: wrapper.offset, detail: "inner magic \(message.magic) in a magic \(wrapper.magic) wrapper")
            }
            if message.compression != CompressionCodec.none {
                throw RecordsError.invalidLegacyMessage(offset: wrapper.offset, detail: "nested compressed message")
            }
        }
        guard wrapper.magic >= 1 else { return inner }
        var base: Int64 = 0
        if wrapper.offset != 0 {
            guard wrapper.offset >= lastInner.offset else {
                throw RecordsError.invalidLegacyMessage(
                    offset: wrapper.offset, detail: "wrapper offset is below the last inner offset \(lastInner.offset)")
            }
            base = wrapper.offset &- lastInner.offset
        }
        let logAppendTime = wrapper.timestampType == .logAppendTime
        for index in inner.indices {
            inner[index].offset = base &+ inner[index].offset
            if logAppendTime {
                inner[index].timestamp = wrapper.timestamp
                inner[index].attributes |= 0x08
            }
        }
        return inner
    }

    /// One magic-2 batch holding `messages` (uncompressed, as `decode` returns them): offsets
    /// kept as deltas from the first message's offset, magic 0's missing timestamps as -1, and
    /// LogAppendTime kept if the messages carry it.
    public static func convertToRecordBatch(
        _ messages: [LegacyMessage], codec: CompressionCodec = .none, partitionLeaderEpoch: Int32 = -1
    ) throws(RecordsError) -> [UInt8] {
        guard let first = messages.first else { throw RecordsError.unencodable("no messages to convert") }
        var builder = RecordBatchBuilder(baseOffset: first.offset, partitionLeaderEpoch: partitionLeaderEpoch, codec: codec)
        if first.timestampType == .logAppendTime {
            builder.timestampType = .logAppendTime
            builder.logAppendTime = messages.map(\.timestamp).max()
        }
        for message in messages {
            if message.compression != CompressionCodec.none {
                throw RecordsError.unencodable("message at offset \(message.offset) is a compressed wrapper; decode it first")
            }
            try builder.append(Record(offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value))
        }
        return try builder.build()
    }
}
