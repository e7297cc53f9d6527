import ZooKeeperProtocol

/// Who waits for which change (ZooKeeper's data and child `WatchManager`s in one table).
///
/// Watchers are connections, as in ZooKeeper: watches belong to the connection that set them
/// and go when it closes (a client re-registers them with setWatches after reconnecting).
///
/// Per (path, watcher) a set of modes:
/// - `data`: one-shot, set by getData and exists (exists on a missing node too); fires on
///   NodeCreated, NodeDataChanged, NodeDeleted of the path.
/// - `child`: one-shot, set by getChildren; fires on NodeChildrenChanged of the path and on
///   its NodeDeleted.
/// - `persistent` (addWatch mode 0): every event of the path, including NodeChildrenChanged;
///   stays until removed.
/// - `recursive` (addWatch mode 1): NodeCreated, NodeDeleted, NodeDataChanged of the path and
///   of every node below it, never NodeChildrenChanged; stays until removed.
///
/// A watcher hears of one event once, however many of its watches match it.
struct WatchManager: Sendable {
    struct Modes: OptionSet, Sendable, Hashable {
        let rawValue: UInt8
        static let data = Modes(rawValue: 1)
        static let child = Modes(rawValue: 2)
        static let persistent = Modes(rawValue: 4)
        static let recursive = Modes(rawValue: 8)
    }

    typealias Watcher = UInt64

    private var table: [String: [Watcher: Modes]] = [:]
    private var pathsByWatcher: [Watcher: Set<String>] = [:]
    /// Recursive watches in the table: while 0, an event looks at its own path only.
    private var recursiveCount = 0

    mutating func add(_ modes: Modes, path: String, watcher: Watcher) {
        let old = table[path]?[watcher] ?? []
        let new = old.union(modes)
        if new == old { return }
        if new.contains(.recursive) && !old.contains(.recursive) { recursiveCount += 1 }
        table[path, default: [:]][watcher] = new
        pathsByWatcher[watcher, default: []].insert(path)
    }

    /// The watchers to notify of `event`, one-shot watches that fired removed.
    mutating func trigger(_ event: TreeEvent) -> [Watcher] {
        var notified: [Watcher] = []
        var seen = Set<Watcher>()
        let firing: Modes
        let consumed: Modes
        switch event.type {
        case .nodeCreated, .nodeDataChanged:
            (firing, consumed) = ([.data, .persistent, .recursive], .data)
        case .nodeDeleted:
            (firing, consumed) = ([.data, .child, .persistent, .recursive], [.data, .child])
        case .nodeChildrenChanged:
            (firing, consumed) = ([.child, .persistent], .child)
        default:
            return []
        }
        if let watchers = table[event.path] {
            for (watcher, modes) in watchers where !modes.isDisjoint(with: firing) {
                if seen.insert(watcher).inserted { notified.append(watcher) }
                if !modes.isDisjoint(with: consumed) { set(modes.subtracting(consumed), path: event.path, watcher: watcher) }
            }
        }
        if recursiveCount > 0 && event.type != .nodeChildrenChanged {
            for ancestor in ZNodePath.ancestors(of: event.path) {
                guard let watchers = table[ancestor] else { continue }
                for (watcher, modes) in watchers where modes.contains(.recursive) && seen.insert(watcher).inserted {
                    notified.append(watcher)
                }
            }
        }
        return notified
    }

    /// removeWatches: true when something was removed.
    mutating func remove(_ type: WatcherType, path: String, watcher: Watcher) -> Bool {
        guard let modes = table[path]?[watcher] else { return false }
        let removing = Self.modes(of: type).intersection(modes)
        if removing.isEmpty { return false }
        set(modes.subtracting(removing), path: path, watcher: watcher)
        return true
    }

    /// checkWatches.
    func contains(_ type: WatcherType, path: String, watcher: Watcher) -> Bool {
        guard let modes = table[path]?[watcher] else { return false }
        return !Self.modes(of: type).isDisjoint(with: modes)
    }

    /// A connection closed: all its watches go.
    mutating func removeAll(watcher: Watcher) {
        guard let paths = pathsByWatcher.removeValue(forKey: watcher) else { return }
        for path in paths {
            if table[path]?[watcher]?.contains(.recursive) == true { recursiveCount -= 1 }
            table[path]?[watcher] = nil
            if table[path]?.isEmpty == true { table[path] = nil }
        }
    }

    private static func modes(of type: WatcherType) -> Modes {
        switch type {
        case .children: .child
        case .data: .data
        case .any: [.data, .child, .persistent, .recursive]
        case .persistent: .persistent
        case .persistentRecursive: .recursive
        }
    }

    private mutating func set(_ modes: Modes, path: String, watcher: Watcher) {
        let old = table[path]?[watcher] ?? []
        if old.contains(.recursive) && !modes.contains(.recursive) { recursiveCount -= 1 }
        if modes.isEmpty {
            table[path]?[watcher] = nil
            if table[path]?.isEmpty == true { table[path] = nil }
            pathsByWatcher[watcher]?.remove(path)
            if pathsByWatcher[watcher]?.isEmpty == true { pathsByWatcher[watcher] = nil }
        } else {
            table[path, default: [:]][watcher] = modes
        }
    }

    // MARK: Reports (wchs, wchc, wchp, mntr)

    /// Connections watching, paths watched, watches in all.
    var summary: (connections: Int, paths: Int, watches: Int) {
        (pathsByWatcher.count, table.count, pathsByWatcher.values.reduce(0) { $0 + $1.count })
    }

    var byWatcher: [Watcher: Set<String>] { pathsByWatcher }
    var byPath: [String: [Watcher]] { table.mapValues { Array($0.keys) } }
}
