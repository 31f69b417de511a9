import InetTLS

/// One `TLSContext` per distinct configuration, shared by every connection that uses it: loading
/// certificates and trust stores once, not per connect. Failures are not cached, so a fixed
/// file is picked up by the next connect.
enum TLSContextCache {
    private static let contexts = Locked<[TLSConfiguration: TLSContext]>([:])

    static func context(for configuration: TLSConfiguration) throws(TLSError) -> TLSContext {
        if let cached = contexts.withLock({ $0[configuration] }) { return cached }
        let made = try TLSContext(configuration)
        return contexts.withLock { cache in
            if let raced = cache[configuration] { return raced }
            cache[configuration] = made
            return made
        }
    }
}
