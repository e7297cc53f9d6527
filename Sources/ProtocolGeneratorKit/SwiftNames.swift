/// How spec names, types and defaults are spelled in Swift.
enum SwiftNames {
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "func", "import", "init", "inout",
        "internal", "let", "operator", "private", "protocol", "public", "static", "struct",
        "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do",
        "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "switch", "where",
        "while", "as", "catch", "false", "is", "nil", "rethrows", "super", "self", "Self", "throw",
        "throws", "true", "try",
    ]

    /// "ThrottleTimeMs" -> "throttleTimeMs"; keywords get backticks.
    static func property(_ specName: String) -> String {
        guard let first = specName.first else { return specName }
        let name = first.lowercased() + specName.dropFirst()
        return keywords.contains(name) ? "`\(name)`" : name
    }

    /// A property name usable after a dot or in a label (no backticks needed there).
    static func label(_ specName: String) -> String {
        property(specName).replacingOccurrences(of: "`", with: "")
    }

    static func base(_ type: FieldType) -> String {
        switch type {
        case .bool: return "Bool"
        case .int8: return "Int8"
        case .int16: return "Int16"
        case .uint16: return "UInt16"
        case .int32: return "Int32"
        case .int64: return "Int64"
        case .float64: return "Double"
        case .string: return "String"
        case .bytes: return "[UInt8]"
        case .uuid: return "Uuid"
        case .records: return "Records"
        case .structure(let name): return name
        case .array(let element): return "[\(base(element))]"
        }
    }

    static func type(of field: FieldSpec) -> String {
        base(field.type) + (field.isNullableAnywhere ? "?" : "")
    }

    /// The Swift expression for a field's default value.
    static func defaultValue(of field: FieldSpec) throws -> String {
        let given = field.defaultValue
        if given == "null" {
            guard field.isNullableAnywhere else {
                throw GeneratorError.badSpec("field \(field.name) defaults to null but is never nullable")
            }
            return "nil"
        }
        switch field.type {
        case .bool:
            return (given?.lowercased() == "true") ? "true" : "false"
        case .int8, .int16, .uint16, .int32, .int64:
            guard let given, !given.isEmpty else { return "0" }
            let trimmed = given.trimmingCharacters(in: .whitespaces)
            let isHex = trimmed.lowercased().hasPrefix("0x")
            guard isHex || Int(trimmed) != nil else {
                throw GeneratorError.badSpec("field \(field.name): default '\(given)' is not an integer")
            }
            return trimmed
        case .float64:
            guard let given, !given.isEmpty else { return "0" }
            guard Double(given) != nil else {
                throw GeneratorError.badSpec("field \(field.name): default '\(given)' is not a number")
            }
            return given
        case .string:
            return literal(given ?? "")
        case .bytes: return "[]"
        case .uuid: return ".zero"
        case .records: return field.isNullableAnywhere ? "nil" : ".bytes([])"
        case .structure(let name): return "\(name)()"
        case .array: return "[]"
        }
    }

    static func literal(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// One doc-comment line from a spec's "about" text.
    static func doc(_ about: String) -> String {
        "/// " + about.replacingOccurrences(of: "\n", with: " ")
    }
}

import Foundation
