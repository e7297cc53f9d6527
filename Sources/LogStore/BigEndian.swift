/// Big-endian loads and stores on raw buffers; the caller has checked the bounds.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func loadBE<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func storeBE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}

extension Array where Element == UInt8 {
    mutating func appendBE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

/// `withUnsafeBytes` for a typed-throwing body: the standard library's is `rethrows`, which
/// erases the error type, so the outcome travels in a `Result`.
@inline(__always)
func withBytes<R, E: Error>(of bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    let outcome: Result<R, E> = bytes.withUnsafeBytes { raw in Result { () throws(E) -> R in try body(raw) } }
    return try outcome.get()
}

@inline(__always)
func withMutableBytes<R, E: Error>(of bytes: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
    let outcome: Result<R, E> = bytes.withUnsafeMutableBytes { raw in Result { () throws(E) -> R in try body(raw) } }
    return try outcome.get()
}
