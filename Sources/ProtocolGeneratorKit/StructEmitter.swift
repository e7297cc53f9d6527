/// Emits one Swift struct: its properties, initialisers, `init(from:version:)` and `encode`.
struct StructEmitter {
    let message: MessageSpec
    let layout: StructLayout
    let plans: [FieldPlan]
    /// `version >= N` for flexible versions, or "true"/"false" when constant in this struct.
    let flexible: String

    init(message: MessageSpec, layout: StructLayout) throws {
        self.message = message
        self.layout = layout
        flexible = message.flexibleVersions.condition(within: layout.context)
        let variable = "flexible"
        plans = try layout.fields.map {
            try FieldPlan($0, context: layout.context, flexible: message.flexibleVersions, flexibleVariable: variable)
        }
        let tags = plans.filter(\.isTaggedAnywhere).map(\.tag)
        if Set(tags).count != tags.count {
            throw GeneratorError.badSpec("\(message.fileName): duplicate tag in \(layout.name)")
        }
    }

    func emit(conformance: String, statics: [String], _ b: inout CodeBuffer) {
        b.block("public struct \(layout.name): \(conformance)") { b in
            for s in statics { b.line(s) }
            if !statics.isEmpty { b.line() }
            for plan in plans {
                if !plan.field.about.isEmpty { b.line(SwiftNames.doc(plan.field.about)) }
                b.line("public var \(plan.property): \(plan.swiftType) = \(plan.defaultValue)")
            }
            b.line("/// Tagged fields this version of Petrel does not know, kept for re-encoding.")
            b.line("public var unknownTaggedFields: [TaggedField] = []")
            b.line()
            b.line("public init() {}")
            b.line()
            emitMemberwiseInit(&b)
            b.line()
            emitDecode(&b)
            b.line()
            emitEncode(&b)
        }
    }

    private func emitMemberwiseInit(_ b: inout CodeBuffer) {
        var params = plans.map { "\($0.property): \($0.swiftType) = \($0.defaultValue)" }
        params.append("unknownTaggedFields: [TaggedField] = []")
        b.line("public init(")
        for (i, p) in params.enumerated() { b.line("    " + p + (i == params.count - 1 ? "" : ",")) }
        b.block(")") { b in
            for plan in plans { b.line("self.\(SwiftNames.label(plan.field.name)) = \(plan.property)") }
            b.line("self.unknownTaggedFields = unknownTaggedFields")
        }
    }

    private var versionGuard: String? {
        guard layout.isTopLevel else { return nil }
        return "guard Self.versions.contains(version) else { throw WireError.unsupportedVersion(message: Self.messageName, version: version) }"
    }

    /// Prepends `let flexible = …` when the body uses it.
    private func withFlexible(_ body: CodeBuffer, into b: inout CodeBuffer) {
        if body.mentions("flexible") { b.line("let flexible = \(flexible)") }
        b.append(body)
    }

    private func emitDecode(_ b: inout CodeBuffer) {
        b.block("public init(from reader: inout ByteReader, version: Int16) throws(WireError)") { b in
            if let versionGuard { b.line(versionGuard) }
            var body = CodeBuffer()
            for plan in plans where plan.positional != "false" {
                let target = "self.\(SwiftNames.label(plan.field.name))"
                let emitRead: (inout CodeBuffer) -> Void = {
                    CodecEmitter.read(
                        plan.field.type, into: target, optional: plan.isOptional,
                        nullable: plan.nullableWhenPositional, compact: plan.compact, reader: "reader",
                        field: plan.field.name, &$0)
                }
                if plan.positional == "true" { emitRead(&body) } else { body.block("if \(plan.positional)", emitRead) }
            }
            if flexible != "false" {
                let section: (inout CodeBuffer) -> Void = { b in self.emitTaggedDecode(&b) }
                if flexible == "true" { section(&body) } else { body.block("if flexible", section) }
            }
            withFlexible(body, into: &b)
        }
    }

    private func emitTaggedDecode(_ b: inout CodeBuffer) {
        let tagged = plans.filter(\.isTaggedAnywhere)
        if tagged.isEmpty {
            b.line("self.unknownTaggedFields = try reader.readUnknownTaggedFields()")
            return
        }
        b.line("let tagCount = try reader.readUnsignedVarint()")
        b.block("for _ in 0..<tagCount") { b in
            b.line("let tag = try reader.readUnsignedVarint()")
            b.line("let size = Int(try reader.readUnsignedVarint())")
            b.line("var sub = try reader.subReader(size)")
            b.block("switch tag") { b in
                for plan in tagged {
                    let guardClause = plan.tagged == "true" ? "" : " where \(plan.tagged)"
                    b.line("case \(plan.tag)\(guardClause):")
                    var inner = CodeBuffer()
                    CodecEmitter.read(
                        plan.field.type, into: "self.\(SwiftNames.label(plan.field.name))", optional: plan.isOptional,
                        nullable: plan.nullableWhenTagged, compact: "true", reader: "sub", field: plan.field.name, &inner)
                    for l in inner.lines { b.line("    " + l) }
                }
                b.line("default:")
                b.line("    self.unknownTaggedFields.append(TaggedField(tag: tag, data: Array(sub.readRemaining())))")
            }
        }
    }

    private func emitEncode(_ b: inout CodeBuffer) {
        b.block("public func encode(into writer: inout ByteWriter, version: Int16) throws(WireError)") { b in
            if let versionGuard { b.line(versionGuard) }
            var body = CodeBuffer()
            for plan in plans {
                let value = "self.\(SwiftNames.label(plan.field.name))"
                let emitWrite: (inout CodeBuffer) -> Void = {
                    CodecEmitter.write(
                        plan.field.type, value: value, optional: plan.isOptional,
                        nullable: plan.nullableWhenPositional, compact: plan.compact, writer: "writer",
                        field: plan.field.name, &$0)
                }
                // Absent in this version: Kafka refuses to drop a non-default, non-ignorable value.
                let absentCheck = "\(value) != \(plan.defaultValue)"
                let throwAbsent = "throw WireError.fieldNotInVersion(field: \(SwiftNames.literal(plan.field.name)), version: version)"
                let checkAbsent = !plan.field.ignorable && plan.present != "true"
                switch plan.positional {
                case "true":
                    emitWrite(&body)
                case "false":
                    if checkAbsent {
                        let cond = plan.present == "false" ? absentCheck : "!\(parenthesized(plan.present)) && \(absentCheck)"
                        body.block("if \(cond)") { $0.line(throwAbsent) }
                    }
                default:
                    body.block("if \(plan.positional)", emitWrite)
                    if checkAbsent {
                        let cond = plan.present == "false" ? absentCheck : "!\(parenthesized(plan.present)) && \(absentCheck)"
                        body.continueBlock("else if \(cond)") { $0.line(throwAbsent) }
                    }
                }
            }
            if flexible != "false" {
                let section: (inout CodeBuffer) -> Void = { b in self.emitTaggedEncode(&b) }
                if flexible == "true" { section(&body) } else { body.block("if flexible", section) }
            }
            withFlexible(body, into: &b)
        }
    }

    private func emitTaggedEncode(_ b: inout CodeBuffer) {
        let tagged = plans.filter(\.isTaggedAnywhere)
        if tagged.isEmpty {
            b.line("writer.writeTaggedFields(self.unknownTaggedFields)")
            return
        }
        b.line("var tagged = self.unknownTaggedFields")
        for plan in tagged {
            let value = "self.\(SwiftNames.label(plan.field.name))"
            let cond = (plan.tagged == "true" ? "" : "\(parenthesized(plan.tagged)) && ") + "\(value) != \(plan.defaultValue)"
            b.block("if \(cond)") { b in
                b.line("var field = ByteWriter()")
                CodecEmitter.write(
                    plan.field.type, value: value, optional: plan.isOptional, nullable: plan.nullableWhenTagged,
                    compact: "true", writer: "field", field: plan.field.name, &b)
                b.line("tagged.append(TaggedField(tag: \(plan.tag), data: field.bytes))")
            }
        }
        b.line("writer.writeTaggedFields(tagged)")
    }
}
