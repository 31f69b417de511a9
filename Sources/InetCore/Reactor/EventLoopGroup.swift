import Glibc
public import Logging
import Synchronization

/// A set of event loops, one thread each (default: one per core), that share the work.
public final class EventLoopGroup: Sendable {
    /// The loops, in index order.
    public let loops: [EventLoop]
    private let nextIndex = Atomic<Int>(0)
    private let isShutDown = Atomic<Bool>(false)
    /// Where the group logs its start and shutdown (debug level; default `nil`: nowhere).
    public let logger: Logger?

    /// Starts `loopCount` loops (default: one per online core).
    public init(loopCount: Int = EventLoopGroup.coreCount, logger: Logger? = nil) throws(InetError) {
        self.logger = logger
        guard loopCount >= 1 else {
            throw InetError(.invalidParameter, "an event loop group needs at least 1 loop, got \(loopCount)")
        }
        var loops: [EventLoop] = []
        for i in 0..<loopCount { loops.append(try EventLoop(index: i)) }
        var started: [EventLoop] = []
        for loop in loops {
            do throws(InetError) {
                try loop.start()
                started.append(loop)
            } catch {
                // No thread for this loop: stop the ones that run, then report it.
                for running in started { running.requestShutdown() }
                for running in started { running.join() }
                logger?.warning(
                    "event loop group failed to start", metadata: ["inet.error": .string(error.description)])
                throw error
            }
        }
        self.loops = loops
        logger?.debug("event loop group started", metadata: ["inet.loops": .stringConvertible(loopCount)])
    }

    /// The number of online cores.
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The process-wide group, started on first use with one loop per core; never shut down.
    public static let shared: EventLoopGroup = {
        do { return try EventLoopGroup() } catch { fatalError("cannot start Inet's shared event loops: \(error)") }
    }()

    /// The next loop, round robin.
    public func next() -> EventLoop {
        loops[nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Stops every loop: sockets they own are closed and every waiter fails with
    /// `eventLoopShutdown`. Suspends (no thread blocked) until the loop threads end. Idempotent.
    /// Called from a task running on one of the group's own loops, refused with `wouldDeadlock`.
    public func shutdown() async throws(InetError) {
        if let current = EventLoop.current, loops.contains(where: { $0 === current }) {
            throw InetError(.wouldDeadlock, "shutdown() called on one of the group's own loop threads")
        }
        let result: Result<Void, InetError> = await withCheckedContinuation { continuation in
            do throws(InetError) {
                // The joins block, so they run on a thread of their own.
                try spawnThread(name: "inet-shutdown", detached: true) {
                    continuation.resume(returning: Result { () throws(InetError) in try self.shutdownBlocking() })
                }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        try result.get()
    }

    /// Stops every loop: sockets they own are closed and every waiter fails with
    /// `eventLoopShutdown`. Blocks until the loop threads end. Idempotent.
    /// Calling it on one of the group's own loop threads is refused with `wouldDeadlock`.
    /// In async code use the `async` form, which does not block a thread of the pool.
    @available(*, noasync, message: "blocks the thread; use 'await shutdown()' in async code")
    public func shutdown() throws(InetError) { try shutdownBlocking() }

    /// The blocking shutdown for a test's `defer`, where `await` cannot be written (package only).
    package func shutdownFromDefer() throws(InetError) { try shutdownBlocking() }

    private func shutdownBlocking() throws(InetError) {
        if let current = EventLoop.current, loops.contains(where: { $0 === current }) {
            throw InetError(.wouldDeadlock, "shutdown() called on one of the group's own loop threads")
        }
        guard !isShutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for loop in loops { loop.requestShutdown() }
        for loop in loops { loop.join() }
        logger?.debug("event loop group shut down", metadata: ["inet.loops": .stringConvertible(loops.count)])
    }
}
