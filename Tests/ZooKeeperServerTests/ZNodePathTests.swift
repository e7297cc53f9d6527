import Testing
@testable import ZooKeeperServer

@Suite struct ZNodePathTests {
    @Test(arguments: ["/", "/a", "/a/b", "/a.b", "/..a", "/a..", "/.a/b.", "/zookeeper", "/with space", "/ünïcode", "/a-b_c:0000000001"])
    func validPaths(_ path: String) {
        #expect(ZNodePath.problem(path) == nil)
    }

    @Test func invalidPathsAreRefusedWithZooKeepersReason() {
        let cases: [(String, String)] = [
            ("", "path length must be > 0"),
            ("a", "path must start with / character"),
            ("/a/", "path must not end with / character"),
            ("//a", "empty node name specified @1"),
            ("/a//b", "empty node name specified @3"),
            ("/.", "relative paths not allowed @1"),
            ("/..", "relative paths not allowed @2"),
            ("/a/./b", "relative paths not allowed @3"),
            ("/a/../b", "relative paths not allowed @4"),
            ("/a\u{0}b", "null character not allowed @2"),
            ("/a\u{1}", "invalid character @2"),
            ("/a\u{7F}", "invalid character @2"),
            ("/a\u{9F}", "invalid character @2"),
            ("/\u{E000}", "invalid character @1"),
            ("/\u{FFF5}", "invalid character @1"),
            ("/😀", "invalid character @1"),
        ]
        for (path, reason) in cases {
            #expect(ZNodePath.problem(path) == reason, "\(path.debugDescription)")
            #expect(!ZNodePath.isValid(path))
        }
    }

    @Test func splitJoinAndAncestors() throws {
        let split = try #require(ZNodePath.split("/a/b/c"))
        #expect(split.parent == "/a/b" && split.name == "c")
        let top = try #require(ZNodePath.split("/a"))
        #expect(top.parent == "/" && top.name == "a")
        let root = try #require(ZNodePath.split("/"))
        #expect(root.parent == "/" && root.name == "")
        #expect(ZNodePath.split("nopath") == nil)
        #expect(ZNodePath.split("/a\u{0}") == nil)
        #expect(ZNodePath.join("/", "a") == "/a")
        #expect(ZNodePath.join("/a", "b") == "/a/b")
        #expect(ZNodePath.ancestors(of: "/a/b/c") == ["/a/b", "/a", "/"])
        #expect(ZNodePath.ancestors(of: "/a") == ["/"])
        #expect(ZNodePath.ancestors(of: "/").isEmpty)
    }
}
