/// The znodes by path, stored densely: a dictionary from path to a slot, and the nodes in one
/// array of slots.
///
/// Why not `[String: DataNode]`: a dictionary keeps its load factor between 3/8 and 3/4, and
/// every bucket of its value area gets touched as entries are rehashed into it, so each node
/// cost its 88-byte value up to 2.7 times over in resident memory. Here the dictionary holds
/// only 4-byte slot numbers, and the array of nodes is filled from the front: the spare
/// capacity of its last growth is never touched, so it is never resident. At 130,000 znodes
/// that is about 10 MiB less per member.
///
/// A removed node's slot is cleared (its data and children set are released at once) and
/// reused by the next node added. Copying the table is O(1) (copy-on-write), as a snapshot of
/// the tree needs.
struct NodeTable: Sendable, Sequence, Equatable {
    private var slots: [String: Int32] = [:]
    private var storage: ContiguousArray<DataNode> = []
    /// Slots of removed nodes, to be reused.
    private var vacant: [Int32] = []

    init() {}

    var count: Int { slots.count }
    var isEmpty: Bool { slots.isEmpty }
    var keys: Dictionary<String, Int32>.Keys { slots.keys }

    func contains(_ path: String) -> Bool { slots[path] != nil }

    subscript(path: String) -> DataNode? {
        slots[path].map { storage[Int($0)] }
    }

    /// Changes a node in place: the node (and its children set) is not copied when the table
    /// is not shared. Nil when there is no such node.
    @discardableResult
    mutating func modify<Result>(_ path: String, _ body: (inout DataNode) -> Result) -> Result? {
        guard let slot = slots[path] else { return nil }
        return body(&storage[Int(slot)])
    }

    /// Sets or removes the node at `path`.
    mutating func set(_ path: String, _ node: DataNode?) {
        guard let node else {
            guard let slot = slots.removeValue(forKey: path) else { return }
            storage[Int(slot)] = .cleared
            vacant.append(slot)
            return
        }
        if let slot = slots[path] {
            storage[Int(slot)] = node
        } else if let slot = vacant.popLast() {
            storage[Int(slot)] = node
            slots[path] = slot
        } else {
            slots[path] = Int32(storage.count)
            storage.append(node)
        }
    }

    struct Iterator: IteratorProtocol {
        fileprivate var slots: Dictionary<String, Int32>.Iterator
        fileprivate let storage: ContiguousArray<DataNode>

        mutating func next() -> (key: String, value: DataNode)? {
            guard let (path, slot) = slots.next() else { return nil }
            return (path, storage[Int(slot)])
        }
    }

    func makeIterator() -> Iterator {
        Iterator(slots: slots.makeIterator(), storage: storage)
    }

    var underestimatedCount: Int { slots.count }

    /// Slots in use or vacant: how far the array of nodes reaches.
    var slotCount: Int { storage.count }

    /// The same nodes at the same paths (slots may differ).
    static func == (lhs: NodeTable, rhs: NodeTable) -> Bool {
        lhs.count == rhs.count && lhs.allSatisfy { rhs[$0.key] == $0.value }
    }
}

extension DataNode {
    /// What a vacant slot holds: nothing allocated.
    static let cleared = DataNode(data: [], acl: [], zxid: 0, time: 0, ephemeralOwner: 0)
}
