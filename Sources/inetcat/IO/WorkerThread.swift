import InetCore

/// Runs blocking work on a plain thread of its own (never on an event loop or the
/// cooperative pool), which is where Inet's blocking API belongs.
enum WorkerThread {
    /// Starts `body` on a new detached thread; throws when no thread can be made.
    static func start(_ body: @escaping @Sendable () -> Void) throws(InetError) {
        try spawnThread(name: "inetcat-worker", detached: true, body)
    }

    /// Runs `body` on a new thread and waits (asynchronously) for its result.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> Result<T, InetError>) async -> Result<T, InetError> {
        await withCheckedContinuation { continuation in
            do throws(InetError) {
                try start { continuation.resume(returning: body()) }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
}
