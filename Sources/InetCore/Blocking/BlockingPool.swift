import CInetLinux
import DequeModule
import Glibc

/// A few threads for work that may block (name resolution), so no event loop ever waits on it.
/// Started lazily; the threads live for the process.
final class BlockingPool: @unchecked Sendable {
    // Safe: `work` and `threadsStarted` are only touched with `condition` locked.
    static let shared = BlockingPool(threadCount: 4)

    private let condition = ConditionLock()
    private var work: Deque<@Sendable () -> Void> = []
    private var threadsStarted = 0
    private var idle = 0
    private let threadCount: Int

    init(threadCount: Int) { self.threadCount = threadCount }

    /// Runs `job` on a pool thread. Throws when no pool thread runs and none can be started
    /// (the job is then dropped, never run); while one runs, a failed start only means less
    /// parallelism.
    func submit(_ job: @escaping @Sendable () -> Void) throws(InetError) {
        condition.lock()
        work.append(job)
        let start = idle == 0 && threadsStarted < threadCount
        if start { threadsStarted += 1 }
        condition.broadcast()
        condition.unlock()
        guard start else { return }
        do {
            try spawnThread(name: "inet-resolver", detached: true) { [self] in runWorker() }
        } catch {
            condition.lock()
            threadsStarted -= 1
            let alone = threadsStarted == 0
            if alone { work.removeLast() }
            condition.unlock()
            if alone { throw error }
        }
    }

    private func runWorker() {
        while true {
            condition.lock()
            while work.isEmpty {
                idle += 1
                _ = condition.wait()
                idle -= 1
            }
            let job = work.removeFirst()
            condition.unlock()
            job()
        }
    }
}
