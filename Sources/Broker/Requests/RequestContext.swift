import KafkaProtocol

/// Who sent a request and on which listener: what a handler may need besides the request.
public struct RequestContext: Sendable {
    public var header: RequestHeader
    public var apiVersion: Int16 { header.requestApiVersion }
    public var clientId: String? { header.clientId }
    /// The client's address, for logs and per-client limits.
    public var clientHost: String
    public var connectionId: UInt64
    public var listenerName: String

    public init(header: RequestHeader, clientHost: String, connectionId: UInt64, listenerName: String) {
        self.header = header
        self.clientHost = clientHost
        self.connectionId = connectionId
        self.listenerName = listenerName
    }
}
