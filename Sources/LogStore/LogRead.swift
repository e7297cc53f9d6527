import KafkaRecords
import Wire

/// What a Fetch gets from a log: file regions ready for `sendfile`, and the offsets the Fetch
/// response reports beside them.
public struct LogReadResult: Sendable {
    /// The bytes to send, in order (at most one region today: a read stays in one segment, as
    /// Kafka's does). The last batch may be cut short by `maxBytes`; clients expect that.
    public var regions: [FileRegion]
    /// Keeps the regions' descriptors open; hold it until the bytes are sent.
    public var handle: LogReadHandle
    /// Base offset of the first batch returned (it may lie below the offset asked for: reads
    /// start at the batch holding it). nil when nothing was returned.
    public var firstBatchOffset: Int64?
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    public var highWatermark: Int64

    public var byteCount: Int { regions.reduce(0) { $0 + $1.count } }
    public var isEmpty: Bool { regions.isEmpty }

    /// The regions' bytes copied into memory (tools, tests, and the memory path of fetch).
    public func readBytes() throws(LogError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        for region in regions {
            var chunk = [UInt8](repeating: 0, count: region.count)
            let got: Int
            do throws(SystemError) {
                got = try withMutableBytes(of: &chunk) { (raw) throws(SystemError) -> Int in
                    try Posix.pread(region.fd, into: raw, at: region.offset, path: "fd \(region.fd)")
                }
            } catch {
                throw .storage(error)
            }
            out.append(contentsOf: chunk.prefix(got))
        }
        return out
    }
}

/// A record found by timestamp (ListOffsets).
public struct TimestampAndOffset: Sendable, Equatable {
    public var timestamp: Int64
    public var offset: Int64
    /// The leader epoch of the offset, from the epoch cache (nil if unknown).
    public var leaderEpoch: Int32?
}

/// What ListOffsets asks for.
public enum OffsetQuery: Sendable, Equatable {
    /// -2: the log start offset.
    case earliest
    /// -1: the end (the bound given, normally the high watermark).
    case latest
    /// -3: the record with the largest timestamp.
    case maxTimestamp
    /// The first record whose timestamp is at or after this one.
    case timestamp(Int64)
}

extension Log {
    /// Reads from the batch holding `offset`, at most `maxBytes` (but at least one whole batch
    /// when `minOneMessage`), never reaching a batch that ends at or above `bound`
    /// (exclusive: the high watermark for consumers, the last stable offset for
    /// read_committed, the log end offset (nil) for followers).
    ///
    /// `offset` outside [logStartOffset, logEndOffset] is OFFSET_OUT_OF_RANGE; `offset` at or
    /// past the bound returns no regions. Takes no lock across I/O: the segment list and the
    /// end position are a snapshot, and the returned handle keeps the files open even if
    /// retention deletes them meanwhile.
    public func read(from offset: Int64, maxBytes: Int, upTo bound: Int64? = nil, minOneMessage: Bool = true) throws(LogError) -> LogReadResult {
        let snapshot = state.withLock { s in
            (segments: s.segments, start: s.logStartOffset, end: s.logEndOffset, endPosition: s.logEndPosition,
             hw: s.highWatermark, cache: s.boundCache, closed: s.closed)
        }
        if snapshot.closed { throw LogError.storageError("log \(topicPartition) is closed") }
        var result = LogReadResult(
            regions: [], handle: LogReadHandle(files: []), firstBatchOffset: nil,
            logStartOffset: snapshot.start, logEndOffset: snapshot.end, highWatermark: snapshot.hw)
        guard offset >= snapshot.start, offset <= snapshot.end else {
            throw LogError.offsetOutOfRange(requested: offset, logStartOffset: snapshot.start, logEndOffset: snapshot.end)
        }
        let limit = min(bound ?? snapshot.end, snapshot.end)
        guard offset < limit else { return result }
        let segments = snapshot.segments
        guard var index = segments.lastIndex(where: { $0.baseOffset <= offset }) else { return result }
        do throws(SystemError) {
            while index < segments.count {
                let segment = segments[index]
                let isLast = index == segments.count - 1
                let nextBase = isLast ? Int64.max : segments[index + 1].baseOffset
                var maxPosition = isLast ? snapshot.endPosition : segment.size
                if limit < nextBase && limit < snapshot.end {
                    // The bound lies in this segment: stop before the batch that reaches it.
                    if let cached = snapshot.cache, cached.offset == limit, cached.segmentBase == segment.baseOffset {
                        maxPosition = cached.position
                    } else {
                        let position = try segment.translateOffset(limit, limit: maxPosition).map { Int64($0.position) } ?? maxPosition
                        state.withLock { $0.boundCache = BoundPosition(offset: limit, segmentBase: segment.baseOffset, position: position) }
                        maxPosition = position
                    }
                }
                guard let first = try segment.translateOffset(offset, limit: maxPosition) else {
                    if limit < nextBase { return result }
                    index += 1
                    continue
                }
                let start = Int64(first.position)
                var length = min(maxPosition - start, Int64(max(0, maxBytes)))
                if minOneMessage && length < Int64(first.size) { length = Int64(first.size) }
                guard length > 0 else { return result }
                result.regions = [FileRegion(fd: segment.log.fd, offset: start, count: Int(length))]
                result.handle = LogReadHandle(files: [segment.log])
                result.firstBatchOffset = first.baseOffset
                return result
            }
        } catch {
            throw .storage(error)
        }
        return result
    }

    /// ListOffsets: the offset (and timestamp) for a query, below `bound` (exclusive; the
    /// high watermark for consumers, nil for the log end offset). nil when no record matches.
    public func offset(for query: OffsetQuery, upTo bound: Int64? = nil) throws(LogError) -> TimestampAndOffset? {
        let snapshot = state.withLock { s in (segments: s.segments, start: s.logStartOffset, end: s.logEndOffset, endPosition: s.logEndPosition) }
        let limit = min(bound ?? snapshot.end, snapshot.end)
        switch query {
        case .earliest:
            return TimestampAndOffset(timestamp: noTimestamp, offset: snapshot.start, leaderEpoch: epochFor(offset: snapshot.start))
        case .latest:
            return TimestampAndOffset(timestamp: noTimestamp, offset: limit, leaderEpoch: epochFor(offset: limit))
        case .maxTimestamp:
            var best: (segment: LogSegment, timestamp: Int64, offset: Int64)?
            for segment in snapshot.segments {
                if let (timestamp, offset) = segment.maxTimestampAndOffset(), timestamp > (best?.timestamp ?? noTimestamp) {
                    best = (segment, timestamp, offset)
                }
            }
            guard let best else { return nil }
            do throws(SystemError) {
                guard let batch = try best.segment.translateOffset(best.offset),
                    let record = try decodeRecords(of: batch, in: best.segment).first(where: { $0.timestamp == best.timestamp })
                else { return nil }
                guard record.offset < limit, record.offset >= snapshot.start else { return nil }
                return TimestampAndOffset(timestamp: record.timestamp, offset: record.offset, leaderEpoch: epochFor(offset: record.offset))
            } catch {
                throw .storage(error)
            }
        case .timestamp(let target):
            do throws(SystemError) {
                for (index, segment) in snapshot.segments.enumerated() {
                    guard let (largest, _) = segment.maxTimestampAndOffset(), largest >= target else { continue }
                    let end = index == snapshot.segments.count - 1 ? snapshot.endPosition : segment.size
                    var position: Int64 = 0
                    if let entry = try segment.timeIndexLastBelow(target), let floor = try segment.offsetIndexFloor(entry.offset)
                    {
                        position = Int64(floor.position)
                    }
                    while let batch = try segment.readHeader(at: position, limit: end) {
                        position += Int64(batch.size)
                        guard batch.maxTimestamp >= target, batch.lastOffset >= snapshot.start else { continue }
                        for record in try decodeRecords(of: batch, in: segment)
                        where record.timestamp >= target && record.offset >= snapshot.start {
                            guard record.offset < limit else { return nil }
                            return TimestampAndOffset(timestamp: record.timestamp, offset: record.offset, leaderEpoch: epochFor(offset: record.offset))
                        }
                    }
                }
            } catch {
                throw .storage(error)
            }
            return nil
        }
    }

    func decodeRecords(of batch: BatchInfo, in segment: LogSegment) throws(SystemError) -> [Record] {
        let bytes = try segment.log.read(count: batch.size, at: Int64(batch.position))
        return (try? RecordBatch.decode(bytes))?.records ?? []
    }

    func epochFor(offset: Int64) -> Int32? {
        epochCache.all.last(where: { $0.startOffset <= offset })?.epoch
    }
}
