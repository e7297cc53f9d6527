import Synchronization

/// What every part of one server shares: configuration, handler, counters, caps, the log.
/// Immutable apart from atomics and the quotas' own lock.
final class ServerContext: Sendable {
    let configuration: ServerConfiguration
    let handler: any FrameHandler
    let metrics: NetworkMetrics
    let quotas: ConnectionQuotas
    private let lastConnectionID = Atomic<UInt64>(0)

    init(configuration: ServerConfiguration, handler: any FrameHandler) {
        self.configuration = configuration
        self.handler = handler
        self.metrics = NetworkMetrics()
        self.quotas = ConnectionQuotas(
            maxConnections: configuration.maxConnections,
            maxPerHost: configuration.maxConnectionsPerIp,
            overrides: configuration.maxConnectionsPerIpOverrides)
    }

    func nextConnectionID() -> UInt64 {
        lastConnectionID.add(1, ordering: .relaxed).newValue
    }

    func log(_ message: @autoclosure () -> String) {
        configuration.log?(message())
    }
}
