/// What one field does in one struct: in which versions it is a positional field, a tagged
/// field, nullable, compact — each already reduced to a Swift condition on `version`.
struct FieldPlan {
    let field: FieldSpec
    let property: String
    let swiftType: String
    let defaultValue: String
    /// Present as a positional field.
    let positional: String
    /// Present as a tagged field (flexible versions only).
    let tagged: String
    /// Present at all.
    let present: String
    /// Nullable, among the versions where it is positional / tagged.
    let nullableWhenPositional: String
    let nullableWhenTagged: String
    /// Compact encoding (flexible versions), for positional use.
    let compact: String

    init(_ field: FieldSpec, context: VersionRange, flexible: VersionRange, flexibleVariable: String) throws {
        self.field = field
        property = SwiftNames.property(field.name)
        swiftType = SwiftNames.type(of: field)
        defaultValue = try SwiftNames.defaultValue(of: field)

        let taggedRange = field.taggedVersions.intersection(flexible)
        var positionalRange = field.versions
        if !field.taggedVersions.isEmpty {
            guard field.taggedVersions.highest >= field.versions.highest else {
                throw GeneratorError.badSpec("field \(field.name): tagged versions must run to the end")
            }
            positionalRange = VersionRange(lowest: field.versions.lowest, highest: field.taggedVersions.lowest - 1)
        }
        positional = positionalRange.condition(within: context)
        tagged = taggedRange.condition(within: context)
        present = field.versions.condition(within: context)
        nullableWhenPositional = field.nullableVersions.condition(within: positionalRange.intersection(context))
        nullableWhenTagged = field.nullableVersions.condition(within: taggedRange.intersection(context))

        if let own = field.flexibleVersions {
            compact = own.condition(within: context)
        } else {
            let c = flexible.condition(within: context)
            compact = (c == "true" || c == "false") ? c : flexibleVariable
        }
        if case .array(let element) = field.type, case .array = element {
            throw GeneratorError.badSpec("field \(field.name): arrays of arrays are not in Kafka's specs")
        }
    }

    var isOptional: Bool { field.isNullableAnywhere }
    var isTaggedAnywhere: Bool { tagged != "false" }
    /// The tag number for `case` labels.
    var tag: Int { field.tag ?? -1 }
}

/// Wraps a condition for use after `!` or `&&` without precedence surprises.
func parenthesized(_ condition: String) -> String {
    condition.contains(" ") ? "(\(condition))" : condition
}
