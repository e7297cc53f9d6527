import Foundation
import Logging
import Network
import Synchronization

/// One broker: its configuration, metadata, request handlers and listeners, started and stopped
/// as a unit. Without `zookeeper.connect` it runs standalone: it is its own controller and keeps
/// the cluster's metadata documents in `<first log dir>/.petrel-metadata`.
public final class KafkaServer: Sendable {
    public let config: BrokerConfig
    let logger: Logger
    let listeners: [Listener]
    let advertised: [Listener]
    let network = Mutex<TCPServer?>(nil)
    public let clusterId: String
    public let registry: TopicRegistry
    let admin: TopicAdmin
    public let replicas: ReplicaManager
    let groups: GroupCoordinator
    let dispatcher: RequestDispatcher

    public init(config: BrokerConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        for key in config.unknownKeys {
            logger.warning("ignoring unknown configuration key", metadata: ["key": "\(key)"])
        }
        if config.string("zookeeper.connect") != nil {
            throw ServerError.unsupported("zookeeper.connect is set, but joining a cluster through the coordination service is not built yet; remove it to run standalone")
        }
        listeners = try Listener.parseList(config.list("listeners"), key: "listeners")
        let advertisedEntries = config.list("advertised.listeners")
        let advertised = advertisedEntries.isEmpty
            ? listeners : try Listener.parseList(advertisedEntries, key: "advertised.listeners")
        // A listener bound to every interface is advertised under this host's name, as Kafka does.
        self.advertised = advertised.map { l in
            var l = l
            if l.host.isEmpty || l.host == "0.0.0.0" || l.host == "::" { l.host = ProcessInfo.processInfo.hostName }
            return l
        }
        var brokerId = config.brokerId
        if brokerId < 0 { brokerId = 0 }

        let metadataRoot = URL(fileURLWithPath: config.logDirs[0]).appendingPathComponent(".petrel-metadata")
        let backend = try LocalMetadataBackend(root: metadataRoot)
        clusterId = try ClusterIdentity.loadOrCreate(backend)
        registry = try TopicRegistry(backend: backend)
        let cluster = StandaloneCluster(clusterId: clusterId, brokerId: brokerId, advertised: self.advertised, rack: config.string("broker.rack"))
        admin = TopicAdmin(registry: registry, cluster: cluster, config: config)
        replicas = try ReplicaManager(config: config, brokerId: brokerId, clusterId: clusterId, logger: logger)
        for report in replicas.logManager.recoveryReports where report.foundDamage {
            logger.warning("recovered a damaged log", metadata: [
                "partition": "\(report.topicPartition)", "truncatedBytes": "\(report.truncatedBytes)",
                "problems": "\(report.problems.joined(separator: "; "))",
            ])
        }
        try replicas.load(topics: registry.all)
        let producerIds = ProducerIdManager(backend: backend, brokerId: brokerId)
        let log: @Sendable (String) -> Void = { [logger] message in logger.info("\(message)") }
        let groupConfig = GroupConfig(config)
        groups = GroupCoordinator(
            config: groupConfig, log: OffsetsTopic(admin: admin, replicas: replicas, config: groupConfig, brokerId: brokerId),
            logger: logger)
        dispatcher = RequestDispatcher(handlers: [
            MetadataHandler(admin: admin, cluster: cluster, config: config),
            CreateTopicsHandler(admin: admin, config: config),
            DeleteTopicsHandler(admin: admin),
            CreatePartitionsHandler(admin: admin),
            DescribeConfigsHandler(registry: registry, config: config, brokerId: brokerId),
            AlterConfigsHandler(admin: admin),
            IncrementalAlterConfigsHandler(admin: admin, config: config),
            DescribeClusterHandler(cluster: cluster),
            InitProducerIdHandler(producerIds: producerIds, log: log),
            ProduceHandler(replicas: replicas, config: config),
            FetchHandler(replicas: replicas, registry: registry, config: config,
                         sessions: FetchSessionCache(capacity: config.int("max.incremental.fetch.session.cache.slots"))),
            ListOffsetsHandler(replicas: replicas),
            OffsetForLeaderEpochHandler(replicas: replicas),
            DeleteRecordsHandler(replicas: replicas),
            DescribeLogDirsHandler(replicas: replicas),
            FindCoordinatorHandler(coordinator: groups, cluster: cluster),
            JoinGroupHandler(coordinator: groups),
            SyncGroupHandler(coordinator: groups),
            HeartbeatHandler(coordinator: groups),
            LeaveGroupHandler(coordinator: groups),
            OffsetCommitHandler(coordinator: groups, registry: registry),
            OffsetFetchHandler(coordinator: groups),
            DescribeGroupsHandler(coordinator: groups),
            ListGroupsHandler(coordinator: groups),
            DeleteGroupsHandler(coordinator: groups),
            OffsetDeleteHandler(coordinator: groups, registry: registry),
        ])
        admin.onChange { [replicas] change in replicas.apply(change) }
        admin.onChange { [groups] change in
            if case .deleted(let t) = change { groups.topicDeleted(t.name) }
        }
        admin.onChange { [logger] change in
            switch change {
            case .created(let t): logger.info("created topic", metadata: ["topic": "\(t.name)", "partitions": "\(t.partitions.count)"])
            case .deleted(let t): logger.info("deleted topic", metadata: ["topic": "\(t.name)"])
            case .partitionsAdded(let t, let from):
                logger.info("added partitions", metadata: ["topic": "\(t.name)", "from": "\(from)", "to": "\(t.partitions.count)"])
            case .configsChanged(let t): logger.info("changed topic configs", metadata: ["topic": "\(t.name)"])
            }
        }
    }

    /// Opens the listeners; returns once they accept connections.
    public func start() throws {
        replicas.logManager.startup()
        replicas.startMaintenance()
        groups.startup()
        var configuration = ServerConfiguration(listeners: listeners.map {
            ListenerAddress(name: $0.name, host: $0.host.isEmpty ? "0.0.0.0" : $0.host, port: $0.port)
        })
        configuration.numNetworkThreads = config.int("num.network.threads")
        configuration.maxRequestSize = config.int("socket.request.max.bytes")
        configuration.connectionsMaxIdle = .milliseconds(config.int64("connections.max.idle.ms"))
        configuration.maxConnectionsPerIp = config.int("max.connections.per.ip")
        configuration.maxConnections = config.int("max.connections")
        let send = config.int("socket.send.buffer.bytes")
        let receive = config.int("socket.receive.buffer.bytes")
        configuration.socketSendBufferBytes = send > 0 ? send : nil
        configuration.socketReceiveBufferBytes = receive > 0 ? receive : nil
        configuration.log = { [logger] message in logger.notice("\(message)") }
        let server = try TCPServer(configuration: configuration, handler: KafkaFrameHandler(dispatcher: dispatcher))
        try server.start()
        network.withLock { $0 = server }
        for bound in server.boundListeners {
            logger.info("listening", metadata: ["listener": "\(bound.name)", "address": "\(bound.host):\(bound.port)"])
        }
        logger.info("broker started", metadata: [
            "broker.id": "\(config.brokerId)", "cluster.id": "\(clusterId)", "mode": "standalone",
            "advertised": "\(advertised.map(\.description).joined(separator: ","))",
        ])
    }

    public var boundPorts: [String: UInt16] {
        guard let server = network.withLock({ $0 }) else { return [:] }
        return Dictionary(server.boundListeners.map { ($0.name, $0.port) }, uniquingKeysWith: { a, _ in a })
    }

    /// Stops accepting, lets in-flight requests finish, closes everything.
    public func shutdown() async {
        logger.info("shutting down")
        // Parked JoinGroups and SyncGroups are answered first, so in-flight requests can end.
        groups.shutdown()
        if let server = network.withLock({ $0 }) {
            await server.shutdown(timeout: .seconds(30))
        }
        replicas.shutdown()
        logger.info("shut down cleanly")
    }
}

public enum ServerError: Error, CustomStringConvertible {
    case unsupported(String)
    public var description: String {
        switch self {
        case .unsupported(let s): return s
        }
    }
}
