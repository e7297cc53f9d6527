import Testing
@testable import ZooKeeperServer

@Suite struct NodeTableTests {
    private func node(_ byte: UInt8, zxid: Int64 = 1) -> DataNode {
        DataNode(data: [byte], acl: [], zxid: zxid, time: 0, ephemeralOwner: 0)
    }

    @Test func setGetRemoveAndIterate() {
        var table = NodeTable()
        table.set("/a", node(1))
        table.set("/b", node(2))
        table.set("/a", node(3))
        #expect(table.count == 2)
        #expect(table["/a"]?.data == [3] && table["/b"]?.data == [2] && table["/c"] == nil)
        #expect(table.contains("/b") && !table.contains("/c"))
        table.set("/b", nil)
        table.set("/c", nil)
        #expect(table.count == 1 && table["/b"] == nil)
        let pairs = table.map { "\($0.key)=\($0.value.data)" }
        #expect(pairs == ["/a=[3]"])
        #expect(Set(table.keys) == ["/a"])
    }

    /// A removed node's slot goes to the next node added: a tree whose nodes come and go
    /// (ephemerals, queues) does not grow its array.
    @Test func removedSlotsAreReused() {
        var table = NodeTable()
        for index in 0..<100 { table.set("/n\(index)", node(UInt8(index))) }
        for round in 0..<10 {
            for index in 0..<50 { table.set("/n\(index)", nil) }
            for index in 0..<50 { table.set("/n\(index)", node(UInt8(round))) }
        }
        #expect(table.count == 100)
        #expect(table.slotCount == 100)
        #expect(table["/n0"]?.data == [9] && table["/n99"]?.data == [99])
    }

    @Test func equalityIgnoresSlots() {
        var first = NodeTable()
        first.set("/a", node(1))
        first.set("/b", node(2))
        var second = NodeTable()
        second.set("/x", node(0))
        second.set("/b", node(2))
        second.set("/x", nil)
        second.set("/a", node(1))
        #expect(first == second)
        second.set("/a", node(1, zxid: 2))
        #expect(first != second)
        second.set("/a", nil)
        #expect(first != second)
    }

    /// Copies are independent (a snapshot keeps its image while the tree moves on).
    @Test func copiesAreIndependent() {
        var table = NodeTable()
        table.set("/a", node(1))
        let image = table
        table.modify("/a") { $0.data = [2] }
        table.set("/b", node(3))
        #expect(image["/a"]?.data == [1] && image["/b"] == nil && image.count == 1)
        #expect(table["/a"]?.data == [2] && table.count == 2)
        #expect(table.modify("/missing") { _ in true } == nil)
    }
}
