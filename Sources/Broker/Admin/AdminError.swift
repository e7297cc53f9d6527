import KafkaProtocol

/// A refused operation (admin or partition-level): Kafka's error code and the message Kafka
/// gives with it.
public struct AdminError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }
}
