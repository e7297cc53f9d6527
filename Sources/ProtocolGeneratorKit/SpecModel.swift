import Foundation

/// The small model the generator works from: what Kafka's JSON message specs say, typed.
public struct MessageSpec: Sendable {
    public enum Kind: String, Sendable { case request, response, header, data }

    public var name: String
    public var kind: Kind
    public var apiKey: Int?
    public var validVersions: VersionRange
    public var flexibleVersions: VersionRange
    public var listeners: [String]
    public var latestVersionUnstable: Bool
    public var fields: [FieldSpec]
    public var commonStructs: [StructSpec]
    /// The spec file's name, for the "generated from" line.
    public var fileName: String
}

public struct StructSpec: Sendable {
    public var name: String
    public var versions: VersionRange
    public var fields: [FieldSpec]
}

public indirect enum FieldType: Sendable, Equatable {
    case bool, int8, int16, uint16, int32, int64, float64, string, bytes, uuid, records
    case structure(String)
    case array(FieldType)

    init(parsing text: String) throws {
        if text.hasPrefix("[]") {
            self = .array(try FieldType(parsing: String(text.dropFirst(2))))
            return
        }
        switch text {
        case "bool": self = .bool
        case "int8": self = .int8
        case "int16": self = .int16
        case "uint16": self = .uint16
        case "int32": self = .int32
        case "int64": self = .int64
        case "float64": self = .float64
        case "string": self = .string
        case "bytes": self = .bytes
        case "uuid": self = .uuid
        case "records": self = .records
        default:
            guard let first = text.first, first.isUppercase else {
                throw GeneratorError.badSpec("unknown type '\(text)'")
            }
            self = .structure(text)
        }
    }

    var structName: String? {
        switch self {
        case .structure(let n): return n
        case .array(let e): return e.structName
        default: return nil
        }
    }
}

public struct FieldSpec: Sendable {
    public var name: String
    public var type: FieldType
    public var versions: VersionRange
    public var nullableVersions: VersionRange
    public var taggedVersions: VersionRange
    public var tag: Int?
    /// Only `RequestHeader.ClientId` overrides the message's flexible versions ("none").
    public var flexibleVersions: VersionRange?
    public var defaultValue: String?
    public var ignorable: Bool
    public var about: String
    /// An inline struct definition, when the type names a struct defined here.
    public var fields: [FieldSpec]?
}

extension MessageSpec {
    /// Parses one spec file: JSON with `//` line comments.
    public static func parse(json text: String, fileName: String) throws -> MessageSpec {
        let stripped = stripComments(text)
        guard let data = stripped.data(using: .utf8),
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw GeneratorError.badSpec("\(fileName): not a JSON object") }
        func string(_ key: String) throws -> String {
            guard let v = object[key] as? String else {
                throw GeneratorError.badSpec("\(fileName): missing '\(key)'")
            }
            return v
        }
        guard let kind = Kind(rawValue: try string("type")) else {
            throw GeneratorError.badSpec("\(fileName): unknown type")
        }
        let fields = try (object["fields"] as? [[String: Any]] ?? []).map { try FieldSpec(json: $0, file: fileName) }
        let common = try (object["commonStructs"] as? [[String: Any]] ?? []).map { s -> StructSpec in
            guard let name = s["name"] as? String, let versions = s["versions"] as? String else {
                throw GeneratorError.badSpec("\(fileName): common struct without name/versions")
            }
            let fs = try (s["fields"] as? [[String: Any]] ?? []).map { try FieldSpec(json: $0, file: fileName) }
            return StructSpec(name: name, versions: try VersionRange(parsing: versions), fields: fs)
        }
        return MessageSpec(
            name: try string("name"), kind: kind, apiKey: object["apiKey"] as? Int,
            validVersions: try VersionRange(parsing: try string("validVersions")),
            flexibleVersions: try VersionRange(parsing: try string("flexibleVersions")),
            listeners: object["listeners"] as? [String] ?? [],
            latestVersionUnstable: object["latestVersionUnstable"] as? Bool ?? false,
            fields: fields, commonStructs: common, fileName: fileName)
    }

    /// Removes `//` comments outside string literals.
    static func stripComments(_ text: String) -> String {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        var inString = false
        while i < bytes.count {
            let c = bytes[i]
            if inString {
                out.append(c)
                if c == UInt8(ascii: "\\"), i + 1 < bytes.count {
                    out.append(bytes[i + 1])
                    i += 2
                    continue
                }
                if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
                out.append(c)
            } else if c == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "/") {
                while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
                continue
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension FieldSpec {
    init(json: [String: Any], file: String) throws {
        guard let name = json["name"] as? String, let type = json["type"] as? String,
            let versions = json["versions"] as? String
        else { throw GeneratorError.badSpec("\(file): field without name/type/versions") }
        self.name = name
        self.type = try FieldType(parsing: type)
        self.versions = try VersionRange(parsing: versions)
        self.nullableVersions = try (json["nullableVersions"] as? String).map(VersionRange.init(parsing:)) ?? .none
        self.taggedVersions = try (json["taggedVersions"] as? String).map(VersionRange.init(parsing:)) ?? .none
        // Tags are numbers, except one spec that writes "0".
        self.tag = json["tag"] as? Int ?? (json["tag"] as? String).flatMap { Int($0) }
        self.flexibleVersions = try (json["flexibleVersions"] as? String).map(VersionRange.init(parsing:))
        switch json["default"] {
        case let s as String: self.defaultValue = s
        case let n as NSNumber:
            // JSONSerialization gives bools as NSNumber too; the specs only use numbers here.
            self.defaultValue = n.stringValue
        default: self.defaultValue = nil
        }
        self.ignorable = json["ignorable"] as? Bool ?? false
        self.about = json["about"] as? String ?? ""
        self.fields = try (json["fields"] as? [[String: Any]])?.map { try FieldSpec(json: $0, file: file) }
        if taggedVersions.isEmpty == false && tag == nil {
            throw GeneratorError.badSpec("\(file): tagged field \(name) has no tag")
        }
    }

    var isNullableAnywhere: Bool { !nullableVersions.isEmpty }
}
