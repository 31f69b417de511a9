import InetTLS

/// The contexts connectors and listeners make from configurations (when the caller hands them
/// no `TLSContext` of its own): one per distinct configuration, so certificates and trust
/// stores are loaded once, not per connect.
///
/// Bounded (the oldest entry goes when full), keyed without passwords (see `TLSContextKey`),
/// and keyed on the files too: a certificate replaced on disk is loaded by the next connect.
/// Failures are not cached, so a fixed file is picked up at once.
enum TLSContextCache {
    static let capacity = 32
    private static let entries = Locked<(contexts: [TLSContextKey: TLSContext], order: [TLSContextKey])>(([:], []))

    static func context(for configuration: TLSConfiguration) throws(TLSError) -> TLSContext {
        let key = TLSContextKey(configuration)
        if let cached = entries.withLock({ $0.contexts[key] }) { return cached }
        let made = try TLSContext(configuration)
        return entries.withLock { cache in
            if let raced = cache.contexts[key] { return raced }
            if cache.order.count >= capacity { cache.contexts[cache.order.removeFirst()] = nil }
            cache.contexts[key] = made
            cache.order.append(key)
            return made
        }
    }

    /// How many contexts are cached (tests).
    static var count: Int { entries.withLock { $0.contexts.count } }
}
