import Foundation
import Testing
@testable import ZooKeeperServer

@Suite struct ZooKeeperConfigTests {
    private func load(_ text: String, environment: [String: String] = [:], myid: String? = nil) throws -> ZooKeeperConfig {
        let dir = ZKTempDir("zkconfig")
        defer { dir.remove() }
        let cfg = dir.file("zoo.cfg")
        dir.write(Array(text.replacingOccurrences(of: "$DIR", with: dir.path).utf8), to: cfg)
        if let myid {
            try FileManager.default.createDirectory(atPath: dir.file("data"), withIntermediateDirectories: true)
            dir.write(Array(myid.utf8), to: dir.file("data/myid"))
        }
        return try ZooKeeperConfig.load(path: cfg, environment: environment)
    }

    private func expectInvalid(_ text: String, key: String, environment: [String: String] = [:], myid: String? = nil,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try load(text, environment: environment, myid: myid)
            Issue.record("accepted: \(text)", sourceLocation: sourceLocation)
        } catch let error as ZooKeeperConfigError {
            switch error {
            case .invalid(let named, _, _), .missing(let named):
                #expect(named.hasPrefix(key), "\(error)", sourceLocation: sourceLocation)
                #expect(error.description.contains(key), sourceLocation: sourceLocation)
            case .unreadable:
                Issue.record("\(error)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func defaultsAreZooKeepers() throws {
        let config = try load("dataDir=$DIR/data\nclientPort=2181\n")
        #expect(config.tickTime == 3000)
        #expect(config.minSessionTimeout == 6000 && config.maxSessionTimeout == 60_000)
        #expect(config.maxClientCnxns == 60)
        #expect(config.effectiveClientPort == 2181)
        #expect(config.effectiveClientAddress == "0.0.0.0")
        #expect(config.autopurgeSnapRetainCount == 3 && config.autopurgePurgeInterval == 0)
        #expect(config.fourLetterWordWhitelist == ["srvr"])
        #expect(config.allows(fourLetterWord: "srvr") && !config.allows(fourLetterWord: "ruok"))
        #expect(config.snapCount == 100_000 && config.preAllocSizeKB == 65_536)
        #expect(config.forceSync && !config.extendedTypesEnabled && !config.skipACL)
        #expect(config.juteMaxBuffer == 0xFFFFF)
        #expect(config.dataLogDir == config.dataDir)
        #expect(config.isStandalone && config.myId == 0)
        #expect(config.initLimit == nil && config.syncLimit == nil)
        #expect(ZooKeeperConfig(dataDir: "/d").clientPort == 2181)
    }

    @Test func theSampleZooCfgReadsAsZooKeeperReadsIt() throws {
        let config = try load("""
            # The number of milliseconds of each tick
            tickTime=2000
            initLimit=10
            syncLimit=5
            dataDir=$DIR/data
            dataLogDir = $DIR/log
            clientPort=2182
            maxClientCnxns=0
            minSessionTimeout=5000
            autopurge.snapRetainCount=5
            autopurge.purgeInterval=1
            4lw.commands.whitelist=ruok, stat ,mntr
            ! a properties comment
            admin.enableServer=false
            snapCount 5000
            preAllocSize: 1024
            zookeeper.extendedTypesEnabled=true
            """)
        #expect(config.tickTime == 2000 && config.initLimit == 10 && config.syncLimit == 5)
        #expect(config.dataLogDir.hasSuffix("/log") && config.dataDir.hasSuffix("/data"))
        #expect(config.clientPort == 2182 && config.maxClientCnxns == 0)
        #expect(config.minSessionTimeout == 5000 && config.maxSessionTimeout == 40_000, "max stays 20 ticks")
        #expect(config.autopurgeSnapRetainCount == 5 && config.autopurgePurgeInterval == 1)
        #expect(config.fourLetterWordWhitelist == ["ruok", "stat", "mntr"])
        #expect(config.snapCount == 5000 && config.preAllocSizeKB == 1024 && config.extendedTypesEnabled)
        #expect(config.ignored == ["admin.enableServer"])
        #expect(config.entries.first?.key == "tickTime" && config.entries.first?.value == "2000")
    }

    @Test func snapRetainCountIsAtLeastThreeAndStarAllowsAllWords() throws {
        let config = try load("dataDir=$DIR/data\nclientPort=1\nautopurge.snapRetainCount=1\n4lw.commands.whitelist=*\n")
        #expect(config.autopurgeSnapRetainCount == 3)
        #expect(config.allows(fourLetterWord: "wchc"))
    }

    @Test func serverLinesInEveryForm() throws {
        let config = try load("""
            dataDir=$DIR/data
            initLimit=5
            syncLimit=2
            server.1=zoo1:2888:3888;2181
            server.2=zoo2:2888:3888:participant;0.0.0.0:2182
            server.3=[fe80::1]:2888:3888:observer
            """, myid: "2\n")
        #expect(config.myId == 2 && !config.isStandalone)
        #expect(config.servers[1] == QuorumServer(id: 1, host: "zoo1", quorumPort: 2888, electionPort: 3888, isObserver: false, clientHost: nil, clientPort: 2181))
        #expect(config.servers[2] == QuorumServer(id: 2, host: "zoo2", quorumPort: 2888, electionPort: 3888, isObserver: false, clientHost: "0.0.0.0", clientPort: 2182))
        #expect(config.servers[3] == QuorumServer(id: 3, host: "fe80::1", quorumPort: 2888, electionPort: 3888, isObserver: true, clientHost: nil, clientPort: nil))
        #expect(config.effectiveClientPort == 2182, "from this node's server line")
        #expect(config.effectiveClientAddress == "0.0.0.0")
    }

    @Test func aSingleServerLineWithStandaloneEnabledIsStandalone() throws {
        let config = try load("dataDir=$DIR/data\nserver.1=localhost:2888:3888;2181\n", myid: "1\r\n")
        #expect(config.isStandalone && config.myId == 1)
        #expect(config.effectiveClientPort == 2181)
        let ensemble = try load("dataDir=$DIR/data\nstandaloneEnabled=false\ninitLimit=5\nsyncLimit=2\nserver.1=localhost:2888:3888;2181\n", myid: "1")
        #expect(!ensemble.isStandalone)
    }

    @Test func badValuesNameTheirKey() {
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\ntickTime=fast\n", key: "tickTime")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\ntickTime=0\n", key: "tickTime")
        expectInvalid("dataDir=$DIR/data\nclientPort=-5\n", key: "clientPort")
        expectInvalid("dataDir=$DIR/data\nclientPort=70000\n", key: "clientPort")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\nmaxClientCnxns=many\n", key: "maxClientCnxns")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\nforceSync=maybe\n", key: "forceSync")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\nautopurge.purgeInterval=-1\n", key: "autopurge.purgeInterval")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\nminSessionTimeout=50000\nmaxSessionTimeout=40000\n", key: "minSessionTimeout")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\nserver.1=host:2888\n", key: "server.1")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\nserver.1=host:0:3888\n", key: "server.1")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\nserver.1=host:2888:3888:leader\n", key: "server.1")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\nserver.1=host:2888:3888;port\n", key: "server.1")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\nserver.x=host:2888:3888\n", key: "server.x")
        expectInvalid("clientPort=2181\n", key: "dataDir")
        expectInvalid("dataDir=$DIR/data\n", key: "clientPort")
        expectInvalid("dataDir=$DIR/data\nserver.1=a:1:2;2181\nserver.2=b:1:2;2181\n", key: "myid")
        expectInvalid("dataDir=$DIR/data\nserver.1=a:1:2;2181\nserver.2=b:1:2;2181\nsyncLimit=2\n", key: "initLimit", myid: "1")
        expectInvalid("dataDir=$DIR/data\ninitLimit=5\nsyncLimit=2\nserver.1=a:1:2;2181\nserver.2=b:1:2;2181\n", key: "myid", myid: "3")
        expectInvalid("dataDir=$DIR/data\ninitLimit=5\nsyncLimit=2\nserver.1=a:1:2;2181\nserver.2=b:1:2;2181\n", key: "myid", myid: "one")
        expectInvalid("dataDir=$DIR/data\nclientPort=2181\n", key: "ZOO_MY_ID", environment: ["ZOO_MY_ID": "x"])
    }

    @Test func anUnreadableFileSaysSo() {
        #expect(throws: ZooKeeperConfigError.self) { try ZooKeeperConfig.load(path: "/nonexistent/zoo.cfg") }
    }

    @Test func environmentOverridesTheFile() throws {
        let dir = ZKTempDir("zkconfig-env")
        defer { dir.remove() }
        let config = try load("""
            tickTime=2000
            dataDir=$DIR/data
            clientPort=2181
            server.9=old:1:2
            """, environment: [
                "ZOO_TICK_TIME": "1000", "ZOO_MAX_CLIENT_CNXNS": "7", "ZOO_4LW_COMMANDS_WHITELIST": "ruok,srvr",
                "ZOO_AUTOPURGE_SNAPRETAINCOUNT": "4", "ZOO_AUTOPURGE_PURGEINTERVAL": "2",
                "ZOO_INIT_LIMIT": "6", "ZOO_SYNC_LIMIT": "3", "ZOO_STANDALONE_ENABLED": "false",
                "ZOO_MY_ID": "2", "ZOO_DATA_DIR": dir.file("envdata"), "ZOO_DATA_LOG_DIR": dir.file("envlog"),
                "ZOO_SERVERS": "server.1=zoo1:2888:3888;2181 server.2=zoo2:2888:3888;2181,server.3=zoo3:2888:3888;2181",
                "ZOO_CFG_EXTRA": "snapCount=10 forceSync=no",
            ])
        #expect(config.tickTime == 1000 && config.maxClientCnxns == 7)
        #expect(config.fourLetterWordWhitelist == ["ruok", "srvr"])
        #expect(config.autopurgeSnapRetainCount == 4 && config.autopurgePurgeInterval == 2)
        #expect(config.initLimit == 6 && config.syncLimit == 3 && !config.standaloneEnabled)
        #expect(config.myId == 2)
        #expect(Set(config.servers.keys) == [1, 2, 3], "ZOO_SERVERS replaces the file's server lines")
        #expect(config.dataDir == dir.file("envdata") && config.dataLogDir == dir.file("envlog"))
        #expect(config.snapCount == 10 && !config.forceSync)
        #expect(config.minSessionTimeout == 2000)
        let written = try String(contentsOfFile: dir.file("envdata/myid"), encoding: .utf8)
        #expect(written == "2\n", "ZOO_MY_ID is written to a missing myid, as the image does")
    }

    @Test func environmentAloneIsEnough() throws {
        let dir = ZKTempDir("zkconfig-envonly")
        defer { dir.remove() }
        let config = try ZooKeeperConfig.load(path: nil, environment: ["ZOO_DATA_DIR": dir.path, "ZOO_PORT_NUMBER": "2999"])
        #expect(config.clientPort == 2999 && config.dataDir == dir.path && config.source == "environment")
    }

    @Test func propertiesSyntax() {
        let pairs = ZooKeeperConfig.parseProperties("a=1\n  b : 2 \r\nc 3\nd\n# x=y\n!z\ne = f = g\nh\t=\t4\n")
        #expect(pairs.map(\.0) == ["a", "b", "c", "d", "e", "h"])
        #expect(pairs.map(\.1) == ["1", "2", "3", "", "f = g", "4"])
    }
}
