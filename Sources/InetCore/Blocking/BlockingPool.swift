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

    /// Runs `job` on a pool thread.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        work.append(job)
        let start = idle == 0 && threadsStarted < threadCount
        if start { threadsStarted += 1 }
        condition.broadcast()
        condition.unlock()
        if start { startThread() }
    }

    private func startThread() {
        spawnThread(name: "inet-resolver", detached: true) { [self] in runWorker() }
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
