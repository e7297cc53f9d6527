/// Flush, retention, DeleteRecords, truncation and close.
extension Log {
    // MARK: Flush

    /// fsyncs every segment holding offsets at or above the recovery point, then moves the
    /// recovery point to the log end offset captured before the fsyncs.
    public func flush() throws(LogError) {
        try withWriter { () throws(LogError) in try flushLocked() }
    }

    func flushLocked() throws(LogError) {
        let (segments, end, recoveryPoint) = state.withLock { ($0.segments, $0.logEndOffset, $0.recoveryPoint) }
        guard end > recoveryPoint || segments.last.map({ !$0.isEmpty }) == true else { return }
        do throws(SystemError) {
            for (index, segment) in segments.enumerated() {
                let next = index + 1 < segments.count ? segments[index + 1].baseOffset : Int64.max
                if next > recoveryPoint { try segment.flush() }
            }
        } catch {
            throw .storage(error)
        }
        let now = environment.clock()
        state.withLock { s in
            s.recoveryPoint = max(s.recoveryPoint, end)
            s.unflushedRecords = 0
            s.lastFlushMs = now
        }
    }

    /// Flushes if `flush.ms` has passed since the last flush (the manager's scheduler).
    public func flushIfDue(now: Int64) throws(LogError) {
        let due = state.withLock { s in s.config.flushMs != .max && now - s.lastFlushMs >= s.config.flushMs && s.logEndOffset > s.recoveryPoint }
        if due { try flush() }
    }

    // MARK: Retention

    /// Deletes whole segments from the front that retention allows: older than `retention.ms`
    /// (by their largest timestamp), beyond `retention.bytes`, or wholly below the log start
    /// offset. Only segments wholly below the high watermark go; the active segment goes only
    /// when it is non-empty and entirely deletable, after rolling a new one (Kafka's rule).
    /// Returns the number of segments deleted.
    @discardableResult
    public func deleteOldSegments(now: Int64? = nil) throws(LogError) -> Int {
        let now = now ?? environment.clock()
        return try withWriter { () throws(LogError) -> Int in
            let (segments, start, end, hw, config) = state.withLock { s in
                (s.segments, s.logStartOffset, s.logEndOffset, s.highWatermark, s.config)
            }
            var excess = config.retentionBytes >= 0 ? segments.reduce(0) { $0 + $1.size } - config.retentionBytes : -1
            var doomed: [LogSegment] = []
            var reasons: [String] = []
            for (index, segment) in segments.enumerated() {
                let next = index + 1 < segments.count ? segments[index + 1].baseOffset : nil
                let upper = next ?? end
                if next == nil && segment.isEmpty { break }
                guard upper <= hw else { break }
                var reason: String?
                if let next, next <= start {
                    reason = "below log start offset \(start)"
                } else if config.cleanupPolicy.deletes && config.retentionMs >= 0 && now - segment.largestTimestamp() > config.retentionMs {
                    reason = "retention.ms \(config.retentionMs) passed"
                } else if config.cleanupPolicy.deletes && excess >= 0 && excess - segment.size >= 0 {
                    reason = "retention.bytes \(config.retentionBytes) exceeded"
                }
                guard let reason else { break }
                if excess >= 0 { excess -= segment.size }
                doomed.append(segment)
                reasons.append(reason)
            }
            guard !doomed.isEmpty else { return 0 }
            if doomed.count == segments.count {
                try roll()
            }
            try removeSegments(doomed, reasons: reasons, now: now)
            return doomed.count
        }
    }

    /// Takes segments from the front of the list, advances the log start offset past them and
    /// schedules their files for deletion. Caller holds `writer`.
    func removeSegments(_ doomed: [LogSegment], reasons: [String], now: Int64) throws(LogError) {
        let ids = Set(doomed.map { ObjectIdentifier($0) })
        let (newStart, delay) = state.withLock { s -> (Int64, Int64) in
            s.segments.removeAll { ids.contains(ObjectIdentifier($0)) }
            if let first = s.segments.first { s.logStartOffset = max(s.logStartOffset, first.baseOffset) }
            s.highWatermark = max(s.highWatermark, s.logStartOffset)
            s.recoveryPoint = max(s.recoveryPoint, s.logStartOffset)
            s.boundCache = nil
            return (s.logStartOffset, s.config.fileDeleteDelayMs)
        }
        for (segment, reason) in zip(doomed, reasons) {
            log("deleting segment \(segment.baseOffset) (\(segment.size) bytes): \(reason)")
        }
        try scheduleDeletion(doomed, now: now, delay: delay)
        do throws(SystemError) { try epochCache.truncateFromStart(startOffset: newStart) } catch { throw .storage(error) }
    }

    func scheduleDeletion(_ doomed: [LogSegment], now: Int64, delay: Int64) throws(LogError) {
        var paths: [String] = []
        do throws(SystemError) {
            for segment in doomed { paths += try segment.markDeleted() }
        } catch {
            throw .storage(error)
        }
        if delay <= 0 {
            for path in paths { try? Posix.unlink(path) }
        } else {
            state.withLock { $0.pendingDeletes.append(PendingDelete(paths: paths, dueMs: now + delay)) }
        }
    }

    /// Removes `*.deleted` files whose `file.delete.delay.ms` has passed.
    public func deleteExpiredFiles(now: Int64? = nil) {
        let now = now ?? environment.clock()
        let due = state.withLock { s -> [PendingDelete] in
            let due = s.pendingDeletes.filter { $0.dueMs <= now }
            s.pendingDeletes.removeAll { $0.dueMs <= now }
            return due
        }
        for pending in due {
            for path in pending.paths { try? Posix.unlink(path) }
        }
    }

    /// DeleteRecords: moves the log start offset up to `offset` (at most the high watermark)
    /// and deletes the segments wholly below it. Returns the new log start offset (the "low
    /// watermark" of the response).
    @discardableResult
    public func deleteRecords(before offset: Int64) throws(LogError) -> Int64 {
        try withWriter { () throws(LogError) in
            let (start, end, hw) = state.withLock { ($0.logStartOffset, $0.logEndOffset, $0.highWatermark) }
            guard offset <= hw, offset >= 0 else {
                throw LogError.offsetOutOfRange(requested: offset, logStartOffset: start, logEndOffset: end)
            }
            guard offset > start else { return }
            state.withLock { $0.logStartOffset = offset }
            do throws(SystemError) { try epochCache.truncateFromStart(startOffset: offset) } catch { throw .storage(error) }
        }
        try deleteOldSegmentsBelowStart()
        return logStartOffset
    }

    func deleteOldSegmentsBelowStart() throws(LogError) {
        try withWriter { () throws(LogError) in
            let (segments, start) = state.withLock { ($0.segments, $0.logStartOffset) }
            var doomed: [LogSegment] = []
            for (index, segment) in segments.enumerated() {
                guard index + 1 < segments.count, segments[index + 1].baseOffset <= start else { break }
                doomed.append(segment)
            }
            guard !doomed.isEmpty else { return }
            try removeSegments(doomed, reasons: doomed.map { _ in "below log start offset \(start)" }, now: environment.clock())
        }
    }

    // MARK: Truncation (replication)

    /// Removes everything at and above `offset` (a follower whose log diverged from the
    /// leader's). A batch holding `offset` goes whole, so the new log end offset may be below
    /// `offset`. Returns whether anything was removed.
    @discardableResult
    public func truncate(to offset: Int64) throws(LogError) -> Bool {
        let needsFull = state.withLock { s in offset < (s.segments.first?.baseOffset ?? 0) || offset < s.logStartOffset }
        if needsFull {
            try truncateFullyAndStart(at: offset)
            return true
        }
        return try withWriter { () throws(LogError) -> Bool in
            let (segments, end) = state.withLock { ($0.segments, $0.logEndOffset) }
            guard offset < end else { return false }
            let now = environment.clock()
            let doomed = segments.filter { $0.baseOffset > offset }
            let kept = segments.filter { $0.baseOffset <= offset }
            guard let last = kept.last else { return false }
            let newEnd: Int64
            let size: Int64
            do throws(SystemError) {
                let cut = try last.translateOffset(offset)
                try last.truncate(to: offset)
                newEnd = cut.map { min(offset, $0.baseOffset) } ?? offset
                if !doomed.isEmpty { try last.becomeActive() }
                size = last.size
            } catch {
                throw .storage(error)
            }
            state.withLock { s in
                s.segments = kept
                s.logEndOffset = newEnd
                s.logEndPosition = size
                s.logStartOffset = min(s.logStartOffset, newEnd)
                s.truncations += 1
                s.highWatermark = min(s.highWatermark, newEnd)
                s.recoveryPoint = min(s.recoveryPoint, newEnd)
                s.boundCache = nil
            }
            log("truncated to offset \(offset): log end offset \(end) -> \(newEnd), \(doomed.count) segments removed")
            try scheduleDeletion(doomed, now: now, delay: config.fileDeleteDelayMs)
            do throws(SystemError) { try epochCache.truncateFromEnd(endOffset: newEnd) } catch { throw .storage(error) }
            return true
        }
    }

    /// Removes every segment and starts an empty log at `offset` (a follower too far behind).
    public func truncateFullyAndStart(at offset: Int64) throws(LogError) {
        try withWriter { () throws(LogError) in
            let (segments, config) = state.withLock { ($0.segments, $0.config) }
            let now = environment.clock()
            try scheduleDeletion(segments, now: now, delay: config.fileDeleteDelayMs)
            state.withLock { s in
                s.segments = []
                s.logStartOffset = offset
                s.logEndOffset = offset
                s.highWatermark = offset
                s.recoveryPoint = offset
                s.boundCache = nil
                s.truncations += 1
                s.cleanerCheckpoint = nil
            }
            _ = try createActiveSegment(base: offset, config: config)
            do throws(SystemError) { try epochCache.clear() } catch { throw .storage(error) }
            log("truncated fully; log starts at \(offset)")
        }
    }

    // MARK: Close

    /// Flushes, finishes the active segment (trimmed indexes) and closes the log. Further
    /// operations fail with KAFKA_STORAGE_ERROR. Returns the offsets to checkpoint.
    public func close() throws(LogError) {
        try writer.withLock { (_) throws(LogError) in
            if state.withLock({ $0.closed }) { return }
            try flushLocked()
            do throws(SystemError) {
                try activeSegment?.becomeInactive()
                try activeSegment?.flush()
            } catch {
                throw .storage(error)
            }
            state.withLock { $0.closed = true }
        }
    }
}
