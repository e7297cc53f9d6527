/// The tagged-field section that ends every struct in a flexible version (KIP-482): a count, then
/// for each field its tag, its size and its bytes, all as unsigned varints.
extension ByteReader {
    /// Reads a section none of whose tags the caller knows, keeping every field.
    public mutating func readUnknownTaggedFields() throws(WireError) -> [TaggedField] {
        let count = try readUnsignedVarint()
        var fields: [TaggedField] = []
        for _ in 0..<count {
            let tag = try readUnsignedVarint()
            let size = Int(try readUnsignedVarint())
            fields.append(TaggedField(tag: tag, data: Array(try readSlice(size))))
        }
        return fields
    }
}

extension ByteWriter {
    /// Writes a section; tags go out in ascending order as the protocol requires.
    public mutating func writeTaggedFields(_ fields: [TaggedField]) {
        writeUnsignedVarint(UInt32(truncatingIfNeeded: fields.count))
        let ordered = fields.count > 1 ? fields.sorted { $0.tag < $1.tag } : fields
        for field in ordered {
            writeUnsignedVarint(field.tag)
            writeUnsignedVarint(UInt32(truncatingIfNeeded: field.data.count))
            writeBytes(field.data)
        }
    }
}
