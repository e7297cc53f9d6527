import Synchronization
import Wire

/// Incremental fetch sessions (KIP-227). A client that opens a session sends, after the first
/// full fetch, only the partitions whose fetch state changed and names the ones it drops; the
/// broker answers only the partitions with something new (records, an error, or a moved high
/// watermark / log start offset). Sessions live in a bounded cache
/// (`max.incremental.fetch.session.cache.slots`); when it is full a client simply gets session
/// id 0 and keeps sending full fetches, as Kafka does.
public final class FetchSessionCache: Sendable {
    /// How a partition is named: by topic name (Fetch v7–12) or topic id (v13+).
    public struct Key: Hashable, Sendable {
        public var topic: String
        public var topicId: Uuid
        public var partition: Int32
    }

    /// What the session remembers of a partition between fetches.
    public struct CachedPartition: Sendable {
        public var request: PartitionFetch
        /// What the last response said, to decide whether the next must say it again.
        public var lastHighWatermark: Int64 = -1
        public var lastLogStartOffset: Int64 = -1
    }

    /// The per-partition part of a fetch request.
    public struct PartitionFetch: Sendable, Equatable {
        public var fetchOffset: Int64
        public var maxBytes: Int32
        public var currentLeaderEpoch: Int32
        public var logStartOffset: Int64

        public init(fetchOffset: Int64, maxBytes: Int32, currentLeaderEpoch: Int32, logStartOffset: Int64) {
            self.fetchOffset = fetchOffset
            self.maxBytes = maxBytes
            self.currentLeaderEpoch = currentLeaderEpoch
            self.logStartOffset = logStartOffset
        }
    }

    struct Session {
        var id: Int32
        var nextEpoch: Int32
        /// In the order partitions were first added (the response keeps that order).
        var order: [Key]
        var partitions: [Key: CachedPartition]
    }

    /// What a request resolves to.
    public enum Resolution: Sendable, Equatable {
        /// A full fetch of the request's partitions; `sessionId` is the session to answer with
        /// (0 when none).
        case full(sessionId: Int32)
        /// An incremental fetch of an existing session.
        case incremental(sessionId: Int32)
        case error(ErrorCodeValue)
    }

    /// Kafka's error code for a session problem.
    public typealias ErrorCodeValue = Int16

    let capacity: Int
    let sessions = Mutex<[Int32: Session]>([:])

    public init(capacity: Int) {
        self.capacity = capacity
    }

    public static let initialEpoch: Int32 = 0
    public static let finalEpoch: Int32 = -1

    static func next(_ epoch: Int32) -> Int32 { epoch == Int32.max ? 1 : epoch + 1 }

    /// Applies a request's session fields and partitions; returns how to answer it and, for an
    /// incremental fetch, every partition of the session (the request's updates applied).
    public func resolve(
        sessionId: Int32, epoch: Int32, partitions: [(Key, PartitionFetch)], forgotten: [Key]
    ) -> (Resolution, [(Key, PartitionFetch)]) {
        sessions.withLock { table in
            if sessionId == 0 {
                // INITIAL opens a session; FINAL (-1) is a sessionless full fetch.
                guard epoch == Self.initialEpoch, capacity > 0 else { return (.full(sessionId: 0), partitions) }
                if table.count >= capacity, let oldest = table.keys.min() { table[oldest] = nil }
                var id: Int32
                repeat { id = Int32.random(in: 1...Int32.max) } while table[id] != nil
                var session = Session(id: id, nextEpoch: 1, order: [], partitions: [:])
                for (key, fetch) in partitions {
                    session.order.append(key)
                    session.partitions[key] = CachedPartition(request: fetch)
                }
                table[id] = session
                return (.full(sessionId: id), partitions)
            }
            guard var session = table[sessionId] else {
                return (.error(70), [])  // FETCH_SESSION_ID_NOT_FOUND
            }
            if epoch == Self.finalEpoch || epoch == Self.initialEpoch {
                // Closing (and, for 0, reopening would need a new id): answer sessionless.
                table[sessionId] = nil
                return (.full(sessionId: 0), partitions)
            }
            guard epoch == session.nextEpoch else {
                return (.error(71), [])  // INVALID_FETCH_SESSION_EPOCH
            }
            for key in forgotten {
                session.partitions[key] = nil
                session.order.removeAll { $0 == key }
            }
            for (key, fetch) in partitions {
                if session.partitions[key] == nil {
                    session.order.append(key)
                    session.partitions[key] = CachedPartition(request: fetch)
                } else {
                    session.partitions[key]?.request = fetch
                }
            }
            session.nextEpoch = Self.next(epoch)
            table[sessionId] = session
            return (.incremental(sessionId: sessionId), session.order.compactMap { key in session.partitions[key].map { (key, $0.request) } })
        }
    }

    /// Records what a response told the client of a partition and returns whether an
    /// incremental response must include it.
    public func note(sessionId: Int32, key: Key, highWatermark: Int64, logStartOffset: Int64, hasRecords: Bool, errorCode: Int16) -> Bool {
        sessions.withLock { table in
            guard var cached = table[sessionId]?.partitions[key] else { return true }
            let changed = hasRecords || errorCode != 0 || cached.lastHighWatermark != highWatermark
                || cached.lastLogStartOffset != logStartOffset
            cached.lastHighWatermark = highWatermark
            cached.lastLogStartOffset = logStartOffset
            table[sessionId]?.partitions[key] = cached
            return changed
        }
    }

    public var count: Int { sessions.withLock { $0.count } }
}
