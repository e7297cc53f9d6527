/// Runs `body` over the bytes of a collection as raw memory, copying only when the collection's
/// storage is not contiguous. `[UInt8]` and `ArraySlice<UInt8>` (the forms record data travels
/// in) never copy.
///
/// The standard library's `withContiguousStorageIfAvailable` is `rethrows`, which would erase
/// the typed error; the closure's outcome is carried out in a `Result` instead.
@inline(__always)
func withContiguousBytes<C: Collection<UInt8>, R, E: Error>(
    of bytes: C, _ body: (UnsafeRawBufferPointer) throws(E) -> R
) throws(E) -> R {
    let direct: Result<R, E>? = bytes.withContiguousStorageIfAvailable { buffer in
        Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(buffer)) }
    }
    if let direct { return try direct.get() }
    let copied: Result<R, E> = Array(bytes).withUnsafeBytes { buffer in
        Result { () throws(E) -> R in try body(buffer) }
    }
    return try copied.get()
}

/// Runs `body` over a mutable array's bytes, carrying a typed error out of the closure.
@inline(__always)
func withMutableBytes<R, E: Error>(
    of bytes: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
) throws(E) -> R {
    let outcome: Result<R, E> = bytes.withUnsafeMutableBytes { buffer in
        Result { () throws(E) -> R in try body(buffer) }
    }
    return try outcome.get()
}

extension UnsafeRawBufferPointer {
    /// A big-endian integer at `offset`; the caller has checked the bounds.
    @inline(__always)
    func loadBigEndian<T: FixedWidthInteger>(at offset: Int, as _: T.Type) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores a big-endian integer at `offset`; the caller has checked the bounds.
    @inline(__always)
    func storeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}
