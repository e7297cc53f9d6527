import Wire

/// A struct of Kafka's protocol: decodes from and encodes to a given version of its message.
public protocol KafkaStruct: Sendable, Hashable {
    init()
    init(from reader: inout ByteReader, version: Int16) throws(WireError)
    func encode(into writer: inout ByteWriter, version: Int16) throws(WireError)
}

/// A whole message generated from one of Kafka's JSON specs (request, response, header, data).
public protocol KafkaMessage: KafkaStruct {
    static var messageName: String { get }
    static var versions: ClosedRange<Int16> { get }
    /// The first flexible (KIP-482) version, or nil when none is.
    static var lowestFlexibleVersion: Int16? { get }
}

extension KafkaMessage {
    public static func isFlexible(_ version: Int16) -> Bool {
        lowestFlexibleVersion.map { version >= $0 } ?? false
    }

    /// Decodes a message that must fill `bytes` exactly.
    public init(bytes: [UInt8], version: Int16) throws(WireError) {
        var reader = ByteReader(bytes)
        try self.init(from: &reader, version: version)
        if !reader.isAtEnd { throw WireError.trailingBytes(reader.remaining) }
    }

    public func encoded(version: Int16) throws(WireError) -> [UInt8] {
        var writer = ByteWriter()
        try encode(into: &writer, version: version)
        return writer.bytes
    }
}

public protocol KafkaRequest: KafkaMessage {
    associatedtype Response: KafkaResponse
    static var apiKey: ApiKey { get }
}

public protocol KafkaResponse: KafkaMessage {
    static var apiKey: ApiKey { get }
}
