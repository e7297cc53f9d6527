/// The value types of Kafka's configuration (ConfigDef.Type), with Kafka's parsing rules, so a
/// value an operator writes in server.properties means here what it means to Kafka.
public enum ConfigType: String, Sendable, Hashable {
    case boolean = "BOOLEAN"
    case string = "STRING"
    case int = "INT"
    case short = "SHORT"
    case long = "LONG"
    case double = "DOUBLE"
    case list = "LIST"
    case password = "PASSWORD"
    case className = "CLASS"

    /// Checks `raw` parses as this type (Kafka trims whitespace first); returns the normalised text.
    public func normalise(_ raw: String) -> String? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        switch self {
        case .boolean:
            switch text.lowercased() {
            case "true": return "true"
            case "false": return "false"
            default: return nil
            }
        case .int: return Int32(text).map(String.init)
        case .short: return Int16(text).map(String.init)
        case .long: return Int64(text).map(String.init)
        case .double: return Double(text) != nil ? text : nil
        case .list:
            return text.split(separator: ",", omittingEmptySubsequences: true)
                .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ",")
        case .string, .password, .className: return raw
        }
    }

    /// The DescribeConfigs `ConfigType` code (KIP-569): 1 BOOLEAN … 9 PASSWORD.
    public var describeCode: Int8 {
        switch self {
        case .boolean: return 1
        case .string: return 2
        case .int: return 3
        case .short: return 4
        case .long: return 5
        case .double: return 6
        case .list: return 7
        case .className: return 8
        case .password: return 9
        }
    }
}

import Foundation
