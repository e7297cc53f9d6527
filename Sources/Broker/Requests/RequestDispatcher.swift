import KafkaProtocol
import Wire

/// Turns request frames into response frames: decodes the header, answers what needs no
/// handler (unknown keys, unsupported versions, ApiVersions' fallback), decodes the body,
/// routes it to the API's handler, and encodes the handler's answer with the right header.
///
/// Kafka's rules for bad input: an unknown API key or a body that does not decode closes the
/// connection; an ApiVersions version it does not know is answered with a v0 body carrying
/// UNSUPPORTED_VERSION and the broker's ApiVersions range (KIP-511), so clients can fall back.
public final class RequestDispatcher: Sendable {
    /// The outcome for one frame, for the network layer.
    public enum Outcome: Sendable {
        /// A whole response frame (size prefix included) and what must live until it is sent.
        case frame(ByteWriter, keepAlive: (any Sendable)?)
        case none
        case close(reason: String)
    }

    private let routes: [Int16: Route]
    /// The ranges ApiVersions advertises: the registered handlers' own.
    public let advertised: [(key: ApiKey, versions: ClosedRange<Int16>)]

    struct Route: Sendable {
        let versions: ClosedRange<Int16>
        let call: @Sendable (any KafkaRequest, RequestContext, @escaping @Sendable (Outcome) -> Void) -> Void
    }

    public init(handlers: [any ApiHandler]) {
        var routes: [Int16: Route] = [:]
        for handler in handlers {
            routes[handler.apiKey.rawValue] = Self.route(for: handler)
        }
        // ApiVersions is the dispatcher's own: it lists every route, itself included.
        routes[ApiKey.apiVersions.rawValue] = Route(versions: ApiVersionsPolicy.versions) { _, _, _ in }
        self.routes = routes
        self.advertised = routes.keys.sorted().compactMap { key in
            guard let apiKey = ApiKey(rawValue: key), let route = routes[key] else { return nil }
            return (apiKey, route.versions)
        }
    }

    private static func route<H: ApiHandler>(for handler: H) -> Route {
        Route(versions: handler.versions) { body, context, done in
            guard let request = body as? H.Request else {
                return done(.close(reason: "internal: \(H.Request.messageName) routed to the wrong handler"))
            }
            handler.handle(request, context: context) { reply in
                switch reply {
                case .response(let response, let keepAlive):
                    do {
                        let frame = try encodeResponseFrame(
                            response, correlationId: context.header.correlationId, version: context.apiVersion)
                        done(.frame(frame, keepAlive: keepAlive))
                    } catch {
                        done(.close(reason: "cannot encode \(H.Request.Response.messageName) v\(context.apiVersion): \(error)"))
                    }
                case .noResponse:
                    done(.none)
                case .closeConnection(let reason):
                    done(.close(reason: reason))
                }
            }
        }
    }

    /// Handles one request frame (payload without its size prefix).
    public func dispatch(
        frame: [UInt8], clientHost: String, connectionId: UInt64, listenerName: String,
        done: @escaping @Sendable (Outcome) -> Void
    ) {
        let preamble: RequestPreamble
        do {
            preamble = try RequestPreamble(frame: frame[...])
        } catch {
            return done(.close(reason: "request shorter than a header (\(frame.count) bytes)"))
        }
        guard let key = ApiKey(rawValue: preamble.apiKey), let route = routes[preamble.apiKey] else {
            return done(.close(reason: "unknown or unserved API key \(preamble.apiKey)"))
        }
        guard route.versions.contains(preamble.apiVersion) else {
            if key == .apiVersions {
                return done(apiVersionsFallback(correlationId: preamble.correlationId))
            }
            return done(.close(reason: "\(key.name) v\(preamble.apiVersion) is not supported (serving \(route.versions))"))
        }
        let request: DecodedRequest
        do {
            request = try DecodedRequest(frame: frame[...])
        } catch {
            return done(.close(reason: "cannot decode \(key.name) v\(preamble.apiVersion): \(error)"))
        }
        let context = RequestContext(
            header: request.header, clientHost: clientHost, connectionId: connectionId, listenerName: listenerName)
        if key == .apiVersions {
            return done(apiVersions(context: context))
        }
        route.call(request.body, context, done)
    }

    // MARK: ApiVersions

    func apiVersionsBody() -> [ApiVersionsResponse.ApiVersion] {
        advertised.map { .init(apiKey: $0.key.rawValue, minVersion: $0.versions.lowerBound, maxVersion: $0.versions.upperBound) }
    }

    func apiVersions(context: RequestContext) -> Outcome {
        let response = ApiVersionsResponse(apiKeys: apiVersionsBody())
        do {
            let frame = try encodeResponseFrame(response, correlationId: context.header.correlationId, version: context.apiVersion)
            return .frame(frame, keepAlive: nil)
        } catch {
            return .close(reason: "cannot encode ApiVersions: \(error)")
        }
    }

    /// KIP-511: a version we do not know gets a v0 body (header v0) saying UNSUPPORTED_VERSION
    /// and listing at least our ApiVersions range, so the client retries with a version we know.
    func apiVersionsFallback(correlationId: Int32) -> Outcome {
        let response = ApiVersionsResponse(
            errorCode: ErrorCode.unsupportedVersion.rawValue,
            apiKeys: [.init(apiKey: ApiKey.apiVersions.rawValue, minVersion: ApiVersionsPolicy.versions.lowerBound,
                            maxVersion: ApiVersionsPolicy.versions.upperBound)])
        do {
            return .frame(try encodeResponseFrame(response, correlationId: correlationId, version: 0), keepAlive: nil)
        } catch {
            return .close(reason: "cannot encode ApiVersions fallback: \(error)")
        }
    }
}

/// ApiVersions itself: versions 0–4, as Kafka 3.9 serves (v3 flexible with client software
/// name and version, v4 the same body; the response header is always v0).
enum ApiVersionsPolicy {
    static let versions: ClosedRange<Int16> = 0...4
}
