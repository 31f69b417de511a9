import InetCore

/// The connections a ``ListenerService`` serves, so a graceful shutdown can wait for them to
/// end and close the rest when the grace period is over.
final class ConnectionTracker: Sendable {
    private struct State {
        var open: [ObjectIdentifier: Connection] = [:]
        /// Woken when `open` empties (or when the waiting is over).
        var drained: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Locked(State())

    func add(_ connection: Connection) { state.withLock { $0.open[ObjectIdentifier(connection)] = connection } }

    func remove(_ connection: Connection) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open[ObjectIdentifier(connection)] = nil
            guard s.open.isEmpty else { return [] }
            defer { s.drained = [] }
            return s.drained
        }
        for waiter in waiters { waiter.resume() }
    }

    var count: Int { state.withLock { $0.open.count } }

    /// Returns once no connection is open, or after `limit`; true when none is open.
    func waitUntilEmpty(within limit: Duration) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let empty = self.state.withLock { s -> Bool in
                        if s.open.isEmpty { return true }
                        s.drained.append(continuation)
                        return false
                    }
                    if empty { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
            // The sleeper ends at once when cancelled; the drain waiter must be let go too.
            let waiters = self.state.withLock { s -> [CheckedContinuation<Void, Never>] in
                defer { s.drained = [] }
                return s.drained
            }
            for waiter in waiters { waiter.resume() }
        }
        return count == 0
    }

    /// Closes every connection still open (their handlers' reads and writes then fail).
    func closeAll() async {
        let open = state.withLock { Array($0.open.values) }
        for connection in open { try? await connection.close() }
    }
}
