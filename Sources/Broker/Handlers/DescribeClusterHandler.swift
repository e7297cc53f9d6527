import KafkaProtocol

/// DescribeCluster (key 60), v0–1: the live brokers on the request's listener, the controller
/// and the cluster id. v1's endpoint type must be 1 (brokers); asking for controllers (2) answers
/// MISMATCHED_ENDPOINT_TYPE since this is a broker listener.
struct DescribeClusterHandler: ApiHandler {
    let versions: ClosedRange<Int16> = 0...1
    let cluster: any ClusterView

    func handle(_ request: DescribeClusterRequest, context: RequestContext,
                respond: @escaping @Sendable (ApiReply<DescribeClusterResponse>) -> Void) {
        if context.apiVersion >= 1 && request.endpointType != 1 {
            return respond(.of(DescribeClusterResponse(
                errorCode: ErrorCode.mismatchedEndpointType.rawValue,
                errorMessage: "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
                endpointType: 1, clusterId: cluster.clusterId, controllerId: -1)))
        }
        let brokers = cluster.liveBrokers(listener: context.listenerName).map {
            DescribeClusterResponse.DescribeClusterBroker(brokerId: $0.id, host: $0.host, port: $0.port, rack: $0.rack)
        }
        respond(.of(DescribeClusterResponse(
            endpointType: 1, clusterId: cluster.clusterId, controllerId: cluster.controllerId, brokers: brokers,
            clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? AclOperations.cluster : Int32.min)))
    }
}

/// Authorized-operation bit sets (bit n = AclOperation code n) reported when clients ask; with
/// no authorizer every operation is allowed, as Kafka reports then.
enum AclOperations {
    static func bits(_ codes: [Int32]) -> Int32 { codes.reduce(0) { $0 | (1 << $1) } }
    /// READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11.
    static let topic = bits([3, 4, 5, 6, 7, 8, 10, 11])
    /// CREATE 5, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
    static let cluster = bits([5, 7, 8, 9, 10, 11, 12])
}
