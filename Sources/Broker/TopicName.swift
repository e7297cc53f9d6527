/// Kafka's rules for topic names (`org.apache.kafka.common.internals.Topic`).
public enum TopicName {
    public static let maxLength = 249

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case dotOrDotDot
        case tooLong(Int)
        case illegalCharacters(String)

        public var description: String {
            switch self {
            case .empty: return "Topic name is illegal, it can't be empty"
            case .dotOrDotDot: return "Topic name cannot be \".\" or \"..\""
            case .tooLong(let n):
                return "Topic name is illegal, it can't be longer than \(TopicName.maxLength) characters, topic name length: \(n)"
            case .illegalCharacters(let name):
                return "Topic name \"\(name)\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
            }
        }
    }

    /// nil if `name` is a legal topic name, else Kafka's message for why not.
    public static func validate(_ name: String) -> Problem? {
        if name.isEmpty { return .empty }
        if name == "." || name == ".." { return .dotOrDotDot }
        if name.utf8.count > maxLength { return .tooLong(name.utf8.count) }
        let legal = name.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
                || c == UInt8(ascii: "-")
        }
        return legal ? nil : .illegalCharacters(name)
    }

    /// Kafka treats '.' and '_' as the same in metric names, so `a.b` and `a_b` collide.
    public static func collisionKey(_ name: String) -> String {
        name.replacingOccurrences(of: ".", with: "_")
    }

    public static func hasCollisionChars(_ name: String) -> Bool {
        name.contains(".") || name.contains("_")
    }

    /// Topics Kafka creates for itself.
    public static let internalTopics: Set<String> = ["__consumer_offsets", "__transaction_state"]
}

import Foundation
