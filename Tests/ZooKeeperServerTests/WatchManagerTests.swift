import Testing
import ZooKeeperProtocol
@testable import ZooKeeperServer

@Suite struct WatchManagerTests {
    private func event(_ type: EventType, _ path: String) -> TreeEvent { TreeEvent(type: type, path: path) }

    @Test func dataWatchesFireOnceOnCreateChangeOrDelete() {
        var watches = WatchManager()
        watches.add(.data, path: "/a", watcher: 1)
        #expect(watches.trigger(event(.nodeChildrenChanged, "/a")).isEmpty)
        #expect(watches.trigger(event(.nodeCreated, "/a")) == [1])
        #expect(watches.trigger(event(.nodeDataChanged, "/a")).isEmpty, "one-shot")
        watches.add(.data, path: "/a", watcher: 1)
        #expect(watches.trigger(event(.nodeDeleted, "/a")) == [1])
        #expect(watches.summary.watches == 0 && watches.summary.connections == 0 && watches.summary.paths == 0)
    }

    @Test func childWatchesFireOnChildrenChangedAndDelete() {
        var watches = WatchManager()
        watches.add(.child, path: "/p", watcher: 1)
        #expect(watches.trigger(event(.nodeDataChanged, "/p")).isEmpty)
        #expect(watches.trigger(event(.nodeCreated, "/p")).isEmpty)
        #expect(watches.trigger(event(.nodeChildrenChanged, "/p")) == [1])
        #expect(watches.trigger(event(.nodeChildrenChanged, "/p")).isEmpty)
        watches.add(.child, path: "/p", watcher: 1)
        watches.add(.data, path: "/p", watcher: 1)
        #expect(watches.trigger(event(.nodeDeleted, "/p")) == [1], "one notification though two watches match")
        #expect(!watches.contains(.any, path: "/p", watcher: 1))
    }

    @Test func persistentWatchesStayAndSeeEveryEventOfTheirPath() {
        var watches = WatchManager()
        watches.add(.persistent, path: "/p", watcher: 1)
        watches.add(.data, path: "/p", watcher: 1)
        for type in [EventType.nodeCreated, .nodeDataChanged, .nodeChildrenChanged, .nodeDeleted] {
            #expect(watches.trigger(event(type, "/p")) == [1], "\(type)")
        }
        #expect(watches.contains(.persistent, path: "/p", watcher: 1))
        #expect(!watches.contains(.data, path: "/p", watcher: 1), "the standard watch was consumed")
        #expect(watches.trigger(event(.nodeDataChanged, "/p/child")).isEmpty, "not recursive")
    }

    @Test func recursiveWatchesSeeDescendantsButNotChildrenChanged() {
        var watches = WatchManager()
        watches.add(.recursive, path: "/r", watcher: 1)
        watches.add(.recursive, path: "/", watcher: 2)
        #expect(watches.trigger(event(.nodeCreated, "/r/a/b")) == [1, 2])
        #expect(watches.trigger(event(.nodeDataChanged, "/r")) == [1, 2])
        #expect(watches.trigger(event(.nodeDeleted, "/r/a")) == [1, 2])
        #expect(watches.trigger(event(.nodeChildrenChanged, "/r")).isEmpty)
        #expect(watches.trigger(event(.nodeCreated, "/rx")) == [2], "/rx is not below /r")
        #expect(watches.trigger(event(.nodeCreated, "/other")) == [2])
        #expect(watches.remove(.persistentRecursive, path: "/", watcher: 2) == true)
        #expect(watches.trigger(event(.nodeCreated, "/other")).isEmpty)
        #expect(watches.trigger(event(.nodeCreated, "/r/x")) == [1])
    }

    @Test func manyWatchersAreEachNotifiedOnce() {
        var watches = WatchManager()
        for watcher: UInt64 in 1...5 {
            watches.add(.data, path: "/a", watcher: watcher)
            watches.add(.recursive, path: "/", watcher: watcher)
        }
        let notified = watches.trigger(event(.nodeDataChanged, "/a"))
        #expect(notified.count == 5 && Set(notified) == Set(1...5))
    }

    @Test func removeAndCheckByWatcherType() {
        var watches = WatchManager()
        watches.add([.data, .child], path: "/a", watcher: 1)
        #expect(watches.contains(.data, path: "/a", watcher: 1))
        #expect(watches.contains(.children, path: "/a", watcher: 1))
        #expect(!watches.contains(.persistent, path: "/a", watcher: 1))
        #expect(!watches.contains(.any, path: "/a", watcher: 2))
        #expect(watches.remove(.children, path: "/a", watcher: 1) == true)
        #expect(watches.remove(.children, path: "/a", watcher: 1) == false, "nothing left of that type")
        #expect(watches.trigger(event(.nodeChildrenChanged, "/a")).isEmpty)
        #expect(watches.remove(.any, path: "/a", watcher: 1) == true)
        #expect(watches.remove(.any, path: "/a", watcher: 1) == false)
        #expect(watches.summary.watches == 0)
    }

    @Test func closingAConnectionDropsAllItsWatches() {
        var watches = WatchManager()
        watches.add(.data, path: "/a", watcher: 1)
        watches.add(.recursive, path: "/b", watcher: 1)
        watches.add(.data, path: "/a", watcher: 2)
        #expect(watches.summary == (connections: 2, paths: 2, watches: 3))
        #expect(watches.byWatcher[1] == ["/a", "/b"])
        #expect(Set(watches.byPath["/a"] ?? []) == [1, 2])
        watches.removeAll(watcher: 1)
        #expect(watches.trigger(event(.nodeCreated, "/b/c")).isEmpty)
        #expect(watches.trigger(event(.nodeCreated, "/a")) == [2])
        #expect(watches.summary.connections == 0)
    }

    @Test func eventsFromTheTreeDriveTheWatchesInZooKeepersOrder() throws {
        var database = ZKDatabase(extendedTypes: false)
        var watches = WatchManager()
        watches.add(.data, path: "/n", watcher: 1)  // exists on a missing node
        watches.add(.child, path: "/", watcher: 2)
        var heard: [(UInt64, TreeEvent)] = []
        for event in database.next(zkCreate("/n", parentCVersion: 1)).events {
            heard += watches.trigger(event).map { ($0, event) }
        }
        #expect(heard.map(\.0) == [1, 2])
        #expect(heard.map(\.1) == [event(.nodeCreated, "/n"), event(.nodeChildrenChanged, "/")])
    }
}
