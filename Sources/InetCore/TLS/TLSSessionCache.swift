import InetTLS

/// The client sessions kept for resumption (credentials' `sessionResumption`): the newest
/// resumable session per TLS context, host and port. Bounded; emptied when full.
enum TLSSessionCache {
    private static let sessions = Locked<[Key: TLSSession]>([:])
    static let capacity = 1024

    /// Where a session may be offered again: the same context (its serial: never reused, unlike
    /// an object's address, so a session is never offered under another context's trust
    /// settings), host and port.
    struct Key: Hashable, Sendable {
        let context: UInt64
        let host: String
        let port: UInt16
    }

    static func session(for key: Key) -> TLSSession? {
        sessions.withLock { $0[key] }
    }

    static func store(_ session: TLSSession, for key: Key) {
        sessions.withLock { cache in
            if cache.count >= capacity, cache[key] == nil { cache.removeAll() }
            cache[key] = session
        }
    }
}
