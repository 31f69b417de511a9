import Glibc
import InetCore

/// Runs blocking work on a plain thread of its own (never on an event loop or the
/// cooperative pool), which is where Inet's blocking API belongs.
enum WorkerThread {
    private final class Box: @unchecked Sendable {  // safe: handed to exactly one new thread
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread.
    static func start(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, context)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(tid)
    }

    /// Runs `body` on a new thread and waits (asynchronously) for its result.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> Result<T, InetError>) async -> Result<T, InetError> {
        await withCheckedContinuation { continuation in
            start { continuation.resume(returning: body()) }
        }
    }
}
