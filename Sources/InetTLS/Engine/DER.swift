/// Parsing an OpenSSL object from DER bytes (`d2i_*`): one place for the cursor dance.
enum DER {
    /// The object `d2i` makes from `der` (it advances a cursor over the bytes), or nil.
    static func parse(
        _ der: [UInt8],
        _ d2i: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> OpaquePointer?
    ) -> OpaquePointer? {
        der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i(&cursor, buffer.count)
        }
    }
}
