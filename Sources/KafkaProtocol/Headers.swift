import Wire

/// Which header version goes with which request and response (RequestHeader.json and
/// ResponseHeader.json say what each version holds; these rules say which one is used).
extension ApiKey {
    /// v2 (tagged fields) for flexible versions, else v1; ControlledShutdown v0 alone uses v0.
    public func requestHeaderVersion(apiVersion: Int16) -> Int16 {
        if self == .controlledShutdown && apiVersion == 0 { return 0 }
        return requestType.isFlexible(apiVersion) ? 2 : 1
    }

    /// v1 for flexible versions, else v0 — except ApiVersions, whose response always uses v0 so
    /// a client can read it before it knows what the broker supports (KIP-511).
    public func responseHeaderVersion(apiVersion: Int16) -> Int16 {
        if self == .apiVersions { return 0 }
        return responseType.isFlexible(apiVersion) ? 1 : 0
    }

    /// Decodes a request body of this API at `version`.
    public func decodeRequest(from reader: inout ByteReader, version: Int16) throws(WireError) -> any KafkaRequest {
        let type = requestType
        return try type.init(from: &reader, version: version)
    }

    /// Decodes a response body of this API at `version`.
    public func decodeResponse(from reader: inout ByteReader, version: Int16) throws(WireError) -> any KafkaResponse {
        let type = responseType
        return try type.init(from: &reader, version: version)
    }
}

/// The start of a request frame: enough to route it and to answer it, even when the body
/// cannot be decoded (an unknown key or version still gets an answer with its correlation id).
public struct RequestPreamble: Sendable, Equatable {
    public var apiKey: Int16
    public var apiVersion: Int16
    public var correlationId: Int32

    /// Reads the first eight bytes of a request frame (every header version starts with them).
    public init(frame: ArraySlice<UInt8>) throws(WireError) {
        var reader = ByteReader(frame)
        apiKey = try reader.readInt16()
        apiVersion = try reader.readInt16()
        correlationId = try reader.readInt32()
    }
}

/// A decoded request: its header and its body, with the reader positioned after the body.
public struct DecodedRequest: Sendable {
    public var apiKey: ApiKey
    public var header: RequestHeader
    public var body: any KafkaRequest

    /// Decodes a whole request frame (without its size prefix).
    public init(frame: ArraySlice<UInt8>) throws(RequestDecodingError) {
        let preamble: RequestPreamble
        do { preamble = try RequestPreamble(frame: frame) } catch { throw .malformed(error) }
        guard let key = ApiKey(rawValue: preamble.apiKey) else { throw .unknownApiKey(preamble) }
        guard key.versions.contains(preamble.apiVersion) else { throw .unsupportedVersion(preamble) }
        var reader = ByteReader(frame)
        do {
            header = try RequestHeader(from: &reader, version: key.requestHeaderVersion(apiVersion: preamble.apiVersion))
            body = try key.decodeRequest(from: &reader, version: preamble.apiVersion)
        } catch {
            throw .malformed(error)
        }
        apiKey = key
    }
}

public enum RequestDecodingError: Error, Equatable, CustomStringConvertible {
    case unknownApiKey(RequestPreamble)
    case unsupportedVersion(RequestPreamble)
    case malformed(WireError)

    public var description: String {
        switch self {
        case .unknownApiKey(let p): return "unknown API key \(p.apiKey)"
        case .unsupportedVersion(let p):
            return "\(ApiKey(rawValue: p.apiKey)?.name ?? "API \(p.apiKey)") has no version \(p.apiVersion)"
        case .malformed(let e): return "malformed request: \(e)"
        }
    }
}

/// Encodes a response frame: size prefix, the header its API and version call for, and the body.
public func encodeResponseFrame<R: KafkaResponse>(
    _ response: R, correlationId: Int32, version: Int16
) throws(WireError) -> ByteWriter {
    var writer = ByteWriter(capacity: 512)
    let sizeIndex = writer.reserveInt32()
    var header = ResponseHeader()
    header.correlationId = correlationId
    try header.encode(into: &writer, version: R.apiKey.responseHeaderVersion(apiVersion: version))
    try response.encode(into: &writer, version: version)
    writer.patchInt32(Int32(truncatingIfNeeded: writer.countSince(sizeIndex + 4)), at: sizeIndex)
    return writer
}

/// Encodes a request frame: size prefix, the header for its API and version, and the body.
public func encodeRequestFrame<R: KafkaRequest>(
    _ request: R, version: Int16, correlationId: Int32, clientId: String?
) throws(WireError) -> ByteWriter {
    var writer = ByteWriter(capacity: 256)
    let sizeIndex = writer.reserveInt32()
    let header = RequestHeader(
        requestApiKey: R.apiKey.rawValue, requestApiVersion: version, correlationId: correlationId, clientId: clientId)
    try header.encode(into: &writer, version: R.apiKey.requestHeaderVersion(apiVersion: version))
    try request.encode(into: &writer, version: version)
    writer.patchInt32(Int32(truncatingIfNeeded: writer.countSince(sizeIndex + 4)), at: sizeIndex)
    return writer
}
