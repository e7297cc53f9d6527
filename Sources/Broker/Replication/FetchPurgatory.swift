import Dispatch
import LogStore
import Synchronization

/// Fetches waiting for data (`min.bytes` not yet there, `max.wait.ms` not yet over). A parked
/// fetch is a value in this table keyed by the partitions it reads, not a waiting thread: an
/// append to one of them, or its timer, completes it, exactly once.
public final class FetchPurgatory: Sendable {
    final class Waiter: Sendable {
        let partitions: [TopicPartition]
        let completed = Atomic<Bool>(false)
        let complete: @Sendable () -> Void
        /// Re-checks whether the fetch can be answered now.
        let isSatisfied: @Sendable () -> Bool

        init(partitions: [TopicPartition], isSatisfied: @escaping @Sendable () -> Bool, complete: @escaping @Sendable () -> Void) {
            self.partitions = partitions
            self.isSatisfied = isSatisfied
            self.complete = complete
        }

        /// Runs `complete` if nobody has yet.
        func tryComplete() -> Bool {
            guard completed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
                return false
            }
            complete()
            return true
        }
    }

    let waiters = Mutex<[TopicPartition: [Waiter]]>([:])
    let timers = DispatchQueue(label: "petrel.fetch-purgatory", attributes: .concurrent)

    public init() {}

    /// Parks a fetch until `isSatisfied` holds after an append to one of `partitions`, or until
    /// `maxWait` passes; then `complete` runs once.
    public func park(
        partitions: [TopicPartition], maxWait: Duration,
        isSatisfied: @escaping @Sendable () -> Bool, complete: @escaping @Sendable () -> Void
    ) {
        let waiter = Waiter(partitions: partitions, isSatisfied: isSatisfied, complete: complete)
        waiters.withLock { table in
            for tp in partitions { table[tp, default: []].append(waiter) }
        }
        // Data may have arrived between the caller's check and parking.
        if waiter.isSatisfied() && waiter.tryComplete() {
            remove(waiter)
            return
        }
        let (seconds, attoseconds) = maxWait.components
        let nanos = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        timers.asyncAfter(deadline: .now() + .nanoseconds(max(0, nanos))) { [self] in
            if waiter.tryComplete() { remove(waiter) }
        }
    }

    /// Called after an append to `tp`: completes the parked fetches that can now be answered.
    public func notifyAppend(_ tp: TopicPartition) {
        let candidates = waiters.withLock { $0[tp] ?? [] }
        for waiter in candidates where !waiter.completed.load(ordering: .acquiring) {
            if waiter.isSatisfied() && waiter.tryComplete() { remove(waiter) }
        }
    }

    func remove(_ waiter: Waiter) {
        waiters.withLock { table in
            for tp in waiter.partitions {
                table[tp]?.removeAll { $0 === waiter }
                if table[tp]?.isEmpty == true { table[tp] = nil }
            }
        }
    }

    public var parkedCount: Int { waiters.withLock { Set($0.values.flatMap { $0.map(ObjectIdentifier.init) }).count } }
}
