import ZooKeeperProtocol

/// A change a watch may be waiting for, as applying a transaction reports it: NodeCreated,
/// NodeDeleted, NodeDataChanged on a node, NodeChildrenChanged on its parent. The tree only
/// reports them, in the order ZooKeeper fires them; `WatchManager` decides who hears of them.
struct TreeEvent: Sendable, Equatable {
    var type: EventType
    var path: String
}
