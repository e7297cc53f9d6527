import Wire

/// Offsets a log directory's root checkpoints hold for one partition; nil where the
/// checkpoint has no entry (or could not be read).
public struct LogCheckpoints: Sendable, Equatable {
    public var recoveryPoint: Int64?
    public var logStartOffset: Int64?
    public var highWatermark: Int64?

    public init(recoveryPoint: Int64? = nil, logStartOffset: Int64? = nil, highWatermark: Int64? = nil) {
        self.recoveryPoint = recoveryPoint
        self.logStartOffset = logStartOffset
        self.highWatermark = highWatermark
    }
}

/// What opening a log found and did. Everything dropped is listed here and in the log sink.
public struct LogRecoveryReport: Sendable {
    public var topicPartition: TopicPartition
    public var cleanShutdown: Bool
    /// Segments whose data was re-read and checked.
    public var segmentsScanned: Int = 0
    /// Bytes cut from segment tails (torn, corrupt, zero-filled).
    public var truncatedBytes: Int64 = 0
    /// Base offsets of segments removed because they followed a damaged one.
    public var deletedSegments: [Int64] = []
    /// Base offsets of segments whose indexes were rebuilt.
    public var rebuiltIndexes: [Int64] = []
    /// One line per problem found.
    public var problems: [String] = []
    public var logEndOffset: Int64 = 0

    /// Whether anything was damaged or lost.
    public var foundDamage: Bool { truncatedBytes > 0 || !deletedSegments.isEmpty || !problems.isEmpty }
}

/// Opening a log: tidy the directory, open segments, recover what needs it.
///
/// After a clean shutdown (and with the recovery point known) nothing is read but names and
/// sizes: indexes load on first use and the log end offset is the recovery point, which a
/// clean shutdown made equal to it. Otherwise every segment from the one holding the recovery
/// point onwards is scanned batch by batch (`LogSegment.recover`), cut at the first invalid
/// byte, and every later segment deleted; indexes missing or of a torn size are rebuilt.
extension Log {
    public static func open(
        directory: String, topicPartition: TopicPartition, config: LogConfig,
        checkpoints: LogCheckpoints = LogCheckpoints(), cleanShutdown: Bool, topicId: Uuid? = nil,
        environment: LogEnvironment = LogEnvironment()
    ) throws(LogError) -> (Log, LogRecoveryReport) {
        var report = LogRecoveryReport(topicPartition: topicPartition, cleanShutdown: cleanShutdown)
        func note(_ message: String) {
            report.problems.append(message)
            environment.log("[\(topicPartition)] \(message)")
        }
        do throws(SystemError) {
            try Posix.mkdirs(directory)
            let bases = try tidyDirectory(directory, note: note)

            let epochCache: LeaderEpochCache
            var epochCacheLost = false
            do throws(CheckpointError) {
                epochCache = try LeaderEpochCache.load(directory: directory)
            } catch {
                note("\(error); rebuilding the leader epoch cache from the segments scanned")
                epochCache = LeaderEpochCache(path: directory + "/" + SegmentFileNames.leaderEpochCheckpoint, entries: [])
                epochCacheLost = true
            }

            var storedTopicId: Uuid?
            do { storedTopicId = try PartitionMetadataFile.read(directory: directory) } catch { note("\(error)") }
            if let topicId, storedTopicId != topicId {
                try PartitionMetadataFile.write(directory: directory, topicId: topicId)
                storedTopicId = topicId
            }

            var segments: [LogSegment] = []
            var health: [LogSegment.IndexHealth] = []
            for base in bases {
                let (segment, indexHealth) = try LogSegment.open(directory: directory, baseOffset: base, config: config, environment: environment)
                segments.append(segment)
                health.append(indexHealth)
            }
            if segments.isEmpty {
                let base = checkpoints.logStartOffset ?? 0
                let segment = try LogSegment.create(directory: directory, baseOffset: base, config: config, environment: environment)
                segments.append(segment)
                health.append(.init(offsetIndexUsable: true, timeIndexUsable: true))
            }

            // Where the data must be re-read from, and the log end offset if it need not be.
            var logEndOffset: Int64?
            var recoverFrom: Int64?
            let active = segments[segments.count - 1]
            // The recovery point of a clean shutdown is the log end offset. It is checked against
            // what can be known without reading data: the active segment's range and the last
            // offset its index names (the index file, not the segment, is read for that).
            let lastIndexed = (try? active.offsetIndex.lastEntry()) ?? nil
            if cleanShutdown, let point = checkpoints.recoveryPoint, point >= active.baseOffset,
                active.isEmpty ? point == active.baseOffset : point > active.baseOffset,
                point - active.baseOffset <= Int64(Int32.max) + 1,
                lastIndexed.map({ point > $0.offset }) ?? true
            {
                logEndOffset = point
            } else {
                if cleanShutdown {
                    note("clean shutdown but no usable recovery point for the active segment: recovering it")
                }
                recoverFrom = cleanShutdown ? active.baseOffset : (checkpoints.recoveryPoint ?? 0)
            }

            var epochStarts: [(epoch: Int32, startOffset: Int64)] = []
            if let recoverFrom {
                var previousEnd: Int64 = segments[0].baseOffset
                var index = 0
                var damaged = false
                while index < segments.count {
                    let segment = segments[index]
                    let next = index + 1 < segments.count ? segments[index + 1].baseOffset : Int64.max
                    if next <= recoverFrom {
                        // Flushed before the crash: trust it, but fix its indexes if they are bad.
                        if !health[index].usable {
                            try segment.rebuildIndexes()
                            try segment.becomeInactive()
                            report.rebuiltIndexes.append(segment.baseOffset)
                            note("rebuilt indexes of segment \(segment.baseOffset)")
                        }
                        previousEnd = next
                        index += 1
                        continue
                    }
                    let result = try segment.recover(minimumOffset: index == 0 ? segment.baseOffset : min(previousEnd, segment.baseOffset))
                    report.segmentsScanned += 1
                    report.rebuiltIndexes.append(segment.baseOffset)
                    epochStarts += result.epochStarts
                    if let problem = result.problem {
                        note("segment \(segment.baseOffset): \(problem); truncated \(result.truncatedBytes) bytes, kept \(result.batchCount) batches")
                        report.truncatedBytes += result.truncatedBytes
                        damaged = true
                    }
                    previousEnd = result.nextOffset ?? segment.baseOffset
                    index += 1
                    if damaged { break }
                    if index < segments.count { try segment.becomeInactive() }
                }
                if index < segments.count {
                    let doomed = Array(segments[index...])
                    for segment in doomed {
                        report.deletedSegments.append(segment.baseOffset)
                        note("deleting segment \(segment.baseOffset) (\(segment.size) bytes) after the damage")
                        for path in try segment.markDeleted() { try Posix.unlink(path) }
                    }
                    segments.removeLast(doomed.count)
                }
                logEndOffset = max(previousEnd, segments[segments.count - 1].baseOffset)
            } else {
                for (index, segment) in segments.enumerated() where !health[index].usable {
                    try segment.rebuildIndexes()
                    if index < segments.count - 1 { try segment.becomeInactive() }
                    report.rebuiltIndexes.append(segment.baseOffset)
                    note("rebuilt indexes of segment \(segment.baseOffset)")
                }
            }
            let end = logEndOffset ?? segments[segments.count - 1].baseOffset
            let activeSegment = segments[segments.count - 1]
            try activeSegment.becomeActive()

            var start = max(checkpoints.logStartOffset ?? segments[0].baseOffset, segments[0].baseOffset)
            if start > end { start = end }
            let highWatermark = min(max(checkpoints.highWatermark ?? start, start), end)

            if epochCacheLost || epochCache.all.isEmpty {
                for entry in epochStarts { try epochCache.assign(epoch: entry.epoch, startOffset: entry.startOffset) }
            }
            try epochCache.truncateFromEnd(endOffset: end)
            try epochCache.truncateFromStart(startOffset: start)

            if recoverFrom != nil {
                for segment in segments { try segment.flush() }
                try Posix.fsyncDirectory(directory)
            }
            report.logEndOffset = end
            let now = environment.clock()
            let log = Log(
                topicPartition: topicPartition, directory: directory, environment: environment, epochCache: epochCache,
                state: State(
                    segments: segments, logStartOffset: start, logEndOffset: end, logEndPosition: activeSegment.size,
                    highWatermark: highWatermark, recoveryPoint: end, config: config, lastFlushMs: now, topicId: storedTopicId))
            return (log, report)
        } catch {
            throw .storage(error)
        }
    }

    /// Removes leftovers of interrupted work and returns the base offsets of the segments.
    ///
    /// `*.deleted` and `*.cleaned` files and checkpoint temporaries go. A `*.log.swap` is a
    /// compacted segment whose swap-in was interrupted after it was complete: it replaces the
    /// segment of the same name (its indexes are rebuilt). Index files without a `.log` go.
    static func tidyDirectory(_ directory: String, note: (String) -> Void) throws(SystemError) -> [Int64] {
        var names = try Posix.listDirectory(directory)
        for name in names where name.hasSuffix(SegmentFileNames.deletedSuffix) || name.hasSuffix(SegmentFileNames.cleanedSuffix)
            || name.hasSuffix(".tmp")
        {
            try Posix.unlink(directory + "/" + name)
        }
        for name in names where name.hasSuffix(SegmentFileNames.logSuffix + SegmentFileNames.swapSuffix) {
            let target = String(name.dropLast(SegmentFileNames.swapSuffix.count))
            guard let base = SegmentFileNames.baseOffset(ofFile: target, suffix: SegmentFileNames.logSuffix) else { continue }
            note("completing the interrupted swap of compacted segment \(base)")
            try Posix.rename(directory + "/" + name, directory + "/" + target)
            try Posix.unlink(SegmentFileNames.indexPath(directory, base))
            try Posix.unlink(SegmentFileNames.timeIndexPath(directory, base))
        }
        for name in names where name.hasSuffix(SegmentFileNames.swapSuffix) {
            try Posix.unlink(directory + "/" + name)
        }
        names = try Posix.listDirectory(directory)
        let bases = Set(names.compactMap { SegmentFileNames.baseOffset(ofFile: $0, suffix: SegmentFileNames.logSuffix) })
        for name in names {
            let base = SegmentFileNames.baseOffset(ofFile: name, suffix: SegmentFileNames.indexSuffix)
                ?? SegmentFileNames.baseOffset(ofFile: name, suffix: SegmentFileNames.timeIndexSuffix)
            if let base, !bases.contains(base) { try Posix.unlink(directory + "/" + name) }
        }
        return bases.sorted()
    }
}
