import Dispatch
import Synchronization

/// Work handed to a serial queue from any thread, which a caller already running under the
/// queue's hierarchy may do at once — but never ahead of work handed over earlier and still
/// queued, so the work keeps the order it was handed over in.
///
/// `SerialHierarchy.run` alone would let an inline call overtake a block another thread queued
/// a moment before; here each queued block is counted until it runs, and while any is waiting
/// the caller queues too.
public final class OrderedHandOff: Sendable {
    public let queue: DispatchQueue
    private let root: DispatchQueue
    private let queued = Atomic<Int>(0)

    /// `root`: the serial queue at the top of `queue`'s hierarchy, marked by its owner (see
    /// `SerialHierarchy.mark`); unmarked, nothing ever runs at once.
    public init(queue: DispatchQueue, root: DispatchQueue) {
        self.queue = queue
        self.root = root
    }

    /// Whether the caller may do the queue's work now: it holds the root and nothing handed
    /// over earlier is still waiting.
    public var mayRunNow: Bool {
        SerialHierarchy.callerHolds(root) && queued.load(ordering: .acquiring) == 0
    }

    /// Queues `body`, counted until it runs.
    public func enqueue(_ body: @escaping @Sendable () -> Void) {
        queued.add(1, ordering: .releasing)
        queue.async { [self] in
            queued.subtract(1, ordering: .releasing)
            body()
        }
    }

    /// Runs `body` now when `mayRunNow`, else queues it.
    public func run(_ body: @escaping @Sendable () -> Void) {
        if mayRunNow { return body() }
        enqueue(body)
    }
}
