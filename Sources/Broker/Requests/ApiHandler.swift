import KafkaProtocol
import Wire

/// One Kafka API served by the broker. Each handler lives in its own file under `Handlers/`,
/// opens with the behaviour and version notes of its API, and declares the versions it serves
/// beside the code: ApiVersions advertises exactly what the registered handlers declare.
///
/// `handle` answers through `respond`, once, now or later (a delayed produce or fetch answers
/// from the event that completes it): no thread waits for it.
public protocol ApiHandler: Sendable {
    associatedtype Request: KafkaRequest
    /// The versions served, within `Request.versions`, consistent with one Kafka release.
    var versions: ClosedRange<Int16> { get }
    func handle(_ request: Request, context: RequestContext, respond: @escaping @Sendable (ApiReply<Request.Response>) -> Void)
}

/// What a handler answers: a response (with anything that must live until it is sent, such as
/// the segment files whose regions it splices in), no response at all (Produce with acks=0), or
/// a request to close the connection.
public enum ApiReply<Response: KafkaResponse>: Sendable {
    case response(Response, keepAlive: (any Sendable)? = nil)
    case noResponse
    case closeConnection(reason: String)

    public static func of(_ response: Response) -> ApiReply { .response(response, keepAlive: nil) }
}

extension ApiHandler {
    public var apiKey: ApiKey { Request.apiKey }
}
