/// A struct to emit: the message itself or one of the structs its fields define, with the
/// versions in which it can appear (so conditions outside them are pruned away).
struct StructLayout {
    var name: String
    var fields: [FieldSpec]
    var context: VersionRange
    var isTopLevel: Bool
}

extension MessageSpec {
    /// The message and every struct it defines, each once, in the order they are first met.
    func layouts() throws -> [StructLayout] {
        var result = [StructLayout(name: name, fields: fields, context: validVersions, isTopLevel: true)]
        var indexByName: [String: Int] = [:]
        let common = Dictionary(uniqueKeysWithValues: commonStructs.map { ($0.name, $0) })

        func visit(_ fields: [FieldSpec], context: VersionRange) throws {
            for field in fields {
                guard let structName = field.type.structName else { continue }
                let fieldContext = field.versions.intersection(context)
                let definition: (fields: [FieldSpec], versions: VersionRange)
                if let inline = field.fields {
                    definition = (inline, .all)
                } else if let shared = common[structName] {
                    definition = (shared.fields, shared.versions)
                } else {
                    throw GeneratorError.badSpec("\(fileName): struct \(structName) is not defined")
                }
                let structContext = definition.versions.intersection(fieldContext)
                if let index = indexByName[structName] {
                    // Used again (a shared struct): widen its versions and revisit what it holds,
                    // so no nested condition is pruned for versions only the other use has.
                    if result[index].context.covers(structContext) { continue }
                    result[index].context = result[index].context.hull(structContext)
                    try visit(definition.fields, context: result[index].context)
                } else {
                    indexByName[structName] = result.count
                    result.append(
                        StructLayout(name: structName, fields: definition.fields, context: structContext, isTopLevel: false))
                    try visit(definition.fields, context: structContext)
                }
            }
        }
        try visit(fields, context: validVersions)
        return result
    }
}
