/// A broker as clients reach it.
public struct BrokerEndpoint: Sendable, Hashable {
    public var id: Int32
    public var host: String
    public var port: Int32
    public var rack: String?

    public init(id: Int32, host: String, port: Int32, rack: String?) {
        self.id = id
        self.host = host
        self.port = port
        self.rack = rack
    }
}

/// What the broker knows of the cluster beyond topics: its id, the live brokers and the
/// controller. A standalone broker is a cluster of one that is its own controller.
public protocol ClusterView: Sendable {
    var clusterId: String { get }
    var localBrokerId: Int32 { get }
    var controllerId: Int32 { get }
    /// Ids of the live brokers, whatever their listeners.
    var liveBrokerIds: [Int32] { get }
    /// Live brokers with their endpoints on the named listener.
    func liveBrokers(listener: String) -> [BrokerEndpoint]
}

/// The cluster of a standalone broker: itself.
public struct StandaloneCluster: ClusterView {
    public let clusterId: String
    public let localBrokerId: Int32
    /// Advertised endpoints by listener name.
    public let endpoints: [String: Listener]
    public let rack: String?

    public init(clusterId: String, brokerId: Int32, advertised: [Listener], rack: String?) {
        self.clusterId = clusterId
        self.localBrokerId = brokerId
        self.endpoints = Dictionary(advertised.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.rack = rack
    }

    public var controllerId: Int32 { localBrokerId }
    public var liveBrokerIds: [Int32] { [localBrokerId] }

    public func liveBrokers(listener: String) -> [BrokerEndpoint] {
        guard let endpoint = endpoints[listener] ?? endpoints.values.first else { return [] }
        return [BrokerEndpoint(id: localBrokerId, host: endpoint.host, port: Int32(endpoint.port), rack: rack)]
    }
}
