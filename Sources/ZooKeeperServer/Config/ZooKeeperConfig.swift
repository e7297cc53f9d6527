/// A node's configuration: ZooKeeper's zoo.cfg keys with ZooKeeper's defaults.
///
/// zoo.cfg is a Java properties file (`key=value`, `#` comments). Keys ZooKeeper itself takes
/// as system properties when they appear in zoo.cfg (`snapCount`, `preAllocSize`,
/// `extendedTypesEnabled`, `jute.maxbuffer`, `forceSync`, ...) are read here directly. Keys
/// this server does not use (`admin.*`, `secureClientPort`, ...) are kept in `ignored` so
/// start-up can say so. The node's id comes from `dataDir/myid` (or `ZOO_MY_ID`).
public struct ZooKeeperConfig: Sendable {
    /// `tickTime`, ms: the unit of session timeouts, expiry checks and the quorum limits.
    /// ZooKeeper's built-in default is 3000 (the sample zoo.cfg sets 2000).
    public var tickTime = 3000
    /// `initLimit` / `syncLimit`, in ticks: how long followers may take to connect and sync
    /// with a leader, and how far behind they may fall. Needed by an ensemble.
    public var initLimit: Int?
    public var syncLimit: Int?
    /// `dataDir`: snapshots (`version-2/snapshot.<zxid>`) and `myid`.
    public var dataDir: String
    /// `dataLogDir`: transaction logs (`version-2/log.<zxid>`); `dataDir` when unset.
    public var dataLogDir: String
    /// `clientPort` (or the client part of this node's `server.N` line).
    public var clientPort: Int?
    /// `clientPortAddress`: the address to listen on; all interfaces when unset.
    public var clientPortAddress: String?
    /// `maxClientCnxns`: connections per client IP address; 0 means no limit.
    public var maxClientCnxns = 60
    /// `minSessionTimeout` / `maxSessionTimeout` in ms; -1 (unset) means 2 and 20 ticks.
    public var minSessionTimeoutSetting = -1
    public var maxSessionTimeoutSetting = -1
    /// `server.N` lines.
    public var servers: [Int64: QuorumServer] = [:]
    /// From `myid` or `ZOO_MY_ID`; 0 for a standalone node without one.
    public var myId: Int64 = 0
    /// `standaloneEnabled`: with a single server line the node runs standalone.
    public var standaloneEnabled = true
    /// `autopurge.snapRetainCount` (at least 3) and `autopurge.purgeInterval` (hours, 0 = off).
    public var autopurgeSnapRetainCount = 3
    public var autopurgePurgeInterval = 0
    /// `4lw.commands.whitelist`: comma-separated; `*` for all. Default `srvr`.
    public var fourLetterWordWhitelist: Set<String> = ["srvr"]
    /// `snapCount`: transactions between snapshots (ZooKeeper snapshots at a random point
    /// between half of it and all of it, so the servers of an ensemble do not snapshot at once).
    public var snapCount = 100_000
    /// `preAllocSize`, KiB: transaction log files grow in steps of this size.
    public var preAllocSizeKB = 65_536
    /// `forceSync`: fsync the log before acknowledging writes (turning it off risks losing
    /// acknowledged writes on a power loss).
    public var forceSync = true
    /// `extendedTypesEnabled`: allows TTL nodes.
    public var extendedTypesEnabled = false
    /// `znode.container.checkIntervalMs`: how often empty containers and expired TTL nodes are
    /// looked for; `znode.container.maxNeverUsedIntervalMs`: delete containers that never had
    /// a child after this long (0 = never).
    public var containerCheckIntervalMs = 60_000
    public var containerMaxNeverUsedIntervalMs = 0
    /// `jute.maxbuffer`: the largest request or znode data accepted (bytes).
    public var juteMaxBuffer = 0xFFFFF
    /// `globalOutstandingLimit`: requests in flight per connection are bounded by this.
    public var globalOutstandingLimit = 1000
    /// `DigestAuthenticationProvider.superDigest`: `super:<base64 sha1>`; a client that adds
    /// this digest passes every ACL check.
    public var superDigest: String?
    /// `skipACL`: no ACL checks at all.
    public var skipACL = false
    /// Keys read but not used, and where the configuration came from, for start-up logging.
    public var ignored: [String] = []
    public var source: String = ""
    /// The effective key/value pairs in file order, for the `conf` four-letter word.
    public var entries: [(key: String, value: String)] = []

    public init(dataDir: String, clientPort: Int? = 2181) {
        self.dataDir = dataDir
        self.dataLogDir = dataDir
        self.clientPort = clientPort
    }

    public var minSessionTimeout: Int { minSessionTimeoutSetting == -1 ? tickTime * 2 : minSessionTimeoutSetting }
    public var maxSessionTimeout: Int { maxSessionTimeoutSetting == -1 ? tickTime * 20 : maxSessionTimeoutSetting }

    /// No `server.N` lines, or one with `standaloneEnabled` (ZooKeeper's rule).
    public var isStandalone: Bool { servers.isEmpty || (servers.count == 1 && standaloneEnabled) }

    /// The port and host clients connect to on this node.
    public var effectiveClientPort: Int? {
        clientPort ?? servers[myId]?.clientPort
    }

    public var effectiveClientAddress: String {
        clientPortAddress ?? servers[myId]?.clientHost ?? "0.0.0.0"
    }

    public func allows(fourLetterWord word: String) -> Bool {
        fourLetterWordWhitelist.contains("*") || fourLetterWordWhitelist.contains(word)
    }
}
