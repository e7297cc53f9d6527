/// Emits the statements that read a field from a `ByteReader` and write it to a `ByteWriter`.
///
/// Nullable fields use the nullable wire form and then check the version's rule, so one shape
/// of code serves fields that are nullable in some versions only.
enum CodecEmitter {
    // MARK: Reading

    static func read(
        _ type: FieldType, into target: String, optional: Bool, nullable: String, compact: String,
        reader: String, field: String, _ b: inout CodeBuffer
    ) {
        let name = SwiftNames.literal(field)
        switch type {
        case .string:
            b.line(optional
                ? "\(target) = try \(reader).readNullableString(compact: \(compact))"
                : "\(target) = try \(reader).readString(compact: \(compact), field: \(name))")
        case .bytes:
            b.line(optional
                ? "\(target) = try \(reader).readNullableBytes(compact: \(compact))"
                : "\(target) = try \(reader).readBytes(compact: \(compact), field: \(name))")
        case .records:
            b.line(optional
                ? "\(target) = try \(reader).readNullableRecords(compact: \(compact))"
                : "\(target) = try \(reader).readRecords(compact: \(compact), field: \(name))")
        case .structure(let structName):
            if optional {
                b.block("if try \(reader).readInt8() < 0") { $0.line("\(target) = nil") }
                b.continueBlock("else") {
                    $0.line("\(target) = try \(structName)(from: &\(reader), version: version)")
                }
            } else {
                b.line("\(target) = try \(structName)(from: &\(reader), version: version)")
            }
        case .array(let element):
            let elementType = SwiftNames.base(element)
            let body: (inout CodeBuffer) -> Void = { b in
                b.line("var items: [\(elementType)] = []")
                b.line("items.reserveCapacity(Swift.min(count, 64))")
                b.block("for _ in 0..<count") {
                    $0.line("items.append(\(readElement(element, reader: reader, compact: compact, field: field)))")
                }
                b.line("\(target) = items")
            }
            if optional {
                b.block("if let count = try \(reader).readArrayCount(compact: \(compact))", body)
                b.continueBlock("else") { $0.line("\(target) = nil") }
            } else {
                b.block("do") { b in
                    b.line("let count = try \(reader).readArrayCount(compact: \(compact), field: \(name))")
                    body(&b)
                }
            }
        default:
            b.line("\(target) = \(readElement(type, reader: reader, compact: compact, field: field))")
        }
        if optional && nullable != "true" {
            let rule = nullable == "false" ? "" : " && !\(parenthesized(nullable))"
            b.block("if \(target) == nil\(rule)") {
                $0.line("throw WireError.unexpectedNull(field: \(name))")
            }
        }
    }

    /// An expression reading one non-null value (array elements, primitives).
    static func readElement(_ type: FieldType, reader: String, compact: String, field: String) -> String {
        switch type {
        case .bool: return "try \(reader).readBool()"
        case .int8: return "try \(reader).readInt8()"
        case .int16: return "try \(reader).readInt16()"
        case .uint16: return "try \(reader).readUInt16()"
        case .int32: return "try \(reader).readInt32()"
        case .int64: return "try \(reader).readInt64()"
        case .float64: return "try \(reader).readFloat64()"
        case .uuid: return "try \(reader).readUuid()"
        case .string: return "try \(reader).readString(compact: \(compact), field: \(SwiftNames.literal(field)))"
        case .bytes: return "try \(reader).readBytes(compact: \(compact), field: \(SwiftNames.literal(field)))"
        case .records: return "try \(reader).readRecords(compact: \(compact), field: \(SwiftNames.literal(field)))"
        case .structure(let name): return "try \(name)(from: &\(reader), version: version)"
        case .array: return "[]"  // rejected by FieldPlan
        }
    }

    // MARK: Writing

    static func write(
        _ type: FieldType, value: String, optional: Bool, nullable: String, compact: String,
        writer: String, field: String, _ b: inout CodeBuffer
    ) {
        let name = SwiftNames.literal(field)
        if optional && nullable != "true" {
            let rule = nullable == "false" ? "" : " && !\(parenthesized(nullable))"
            b.block("if \(value) == nil\(rule)") {
                $0.line("throw WireError.unexpectedNull(field: \(name))")
            }
        }
        switch type {
        case .string:
            b.line(optional
                ? "try \(writer).writeNullableString(\(value), compact: \(compact))"
                : "try \(writer).writeString(\(value), compact: \(compact))")
        case .bytes:
            b.line(optional
                ? "\(writer).writeNullableBytes(\(value), compact: \(compact))"
                : "\(writer).writeBytes(\(value), compact: \(compact))")
        case .records:
            b.line(optional
                ? "\(writer).writeNullableRecords(\(value), compact: \(compact))"
                : "\(writer).writeRecords(\(value), compact: \(compact))")
        case .structure:
            if optional {
                b.block("if let present = \(value)") {
                    $0.line("\(writer).writeInt8(1)")
                    $0.line("try present.encode(into: &\(writer), version: version)")
                }
                b.continueBlock("else") { $0.line("\(writer).writeInt8(-1)") }
            } else {
                b.line("try \(value).encode(into: &\(writer), version: version)")
            }
        case .array(let element):
            let loop: (String, inout CodeBuffer) -> Void = { items, b in
                b.line("\(writer).writeArrayCount(\(items).count, compact: \(compact))")
                b.block("for item in \(items)") {
                    $0.line(writeElement(element, value: "item", writer: writer, compact: compact))
                }
            }
            if optional {
                b.block("if let items = \(value)") { loop("items", &$0) }
                b.continueBlock("else") { $0.line("\(writer).writeArrayCount(nil, compact: \(compact))") }
            } else {
                loop(value, &b)
            }
        default:
            b.line(writeElement(type, value: value, writer: writer, compact: compact))
        }
    }

    static func writeElement(_ type: FieldType, value: String, writer: String, compact: String) -> String {
        switch type {
        case .bool: return "\(writer).writeBool(\(value))"
        case .int8: return "\(writer).writeInt8(\(value))"
        case .int16: return "\(writer).writeInt16(\(value))"
        case .uint16: return "\(writer).writeUInt16(\(value))"
        case .int32: return "\(writer).writeInt32(\(value))"
        case .int64: return "\(writer).writeInt64(\(value))"
        case .float64: return "\(writer).writeFloat64(\(value))"
        case .uuid: return "\(writer).writeUuid(\(value))"
        case .string: return "try \(writer).writeString(\(value), compact: \(compact))"
        case .bytes: return "\(writer).writeBytes(\(value), compact: \(compact))"
        case .records: return "\(writer).writeRecords(\(value), compact: \(compact))"
        case .structure: return "try \(value).encode(into: &\(writer), version: version)"
        case .array: return ""  // rejected by FieldPlan
        }
    }
}
