import Dispatch

/// Which serial queue hierarchy the caller runs under.
///
/// Work confined to a serial queue may also run from any queue that targets it: while one of
/// them runs, the root runs nothing else. An ensemble member's connections, quorum node and
/// request processor all target one event loop, so a hand-off between them made from under
/// that loop can run at once instead of going to the back of the loop's line, behind whatever
/// socket events came meanwhile (each such hand-off delayed a follower's reply by tens of
/// microseconds). Owners mark the top of their hierarchy; callers check before running inline.
public enum SerialHierarchy {
    private static let key = DispatchSpecificKey<ObjectIdentifier>()

    /// Marks `root`, a serial queue with no target of its own among the owner's queues, so
    /// that code running on it or on any queue targeting it can tell (`callerHolds`).
    public static func mark(_ root: DispatchQueue) {
        root.setSpecific(key: key, value: ObjectIdentifier(root))
    }

    /// Whether the caller runs on `root` (marked) or on a queue that targets it, and so has
    /// everything confined to `root` to itself. False is always safe: the caller queues.
    public static func callerHolds(_ root: DispatchQueue) -> Bool {
        DispatchQueue.getSpecific(key: key) == ObjectIdentifier(root)
    }

    /// Runs `body` now when the caller holds `root`, else queues it on `queue` (which runs
    /// under `root`).
    public static func run(on queue: DispatchQueue, under root: DispatchQueue, _ body: @escaping @Sendable () -> Void) {
        if callerHolds(root) { return body() }
        queue.async(execute: body)
    }
}
