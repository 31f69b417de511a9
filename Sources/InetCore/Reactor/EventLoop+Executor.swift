/// The loop as a Swift concurrency executor: a task that prefers it
/// (`Task(executorPreference: loop)`, `withTaskExecutorPreference(loop)`) runs on the loop's
/// thread, beside the sockets the loop owns — so a `Connection` method called from it needs no
/// hop to the loop, and a resumed read or write continues in the same loop turn that saw the
/// socket ready.
///
/// Not a `SerialExecutor`: a job run isolated to the loop as a serial executor counts as actor
/// code, so every call from it into a nonisolated async function (`Connection.read`) became a
/// switch to the generic executor — one more job through the queue per call (measured: 1 per
/// `await`). Run as plain task-executor jobs, such calls continue inline.
///
/// Jobs go through the loop's own queue (a double-buffered deque: no allocation per job in
/// steady state) and run after the closures queued with them, in order. Code run this way is
/// loop code: it must not block (the blocking API refuses with `wouldDeadlock`).
extension EventLoop: TaskExecutor {
    /// Queues `job` to run on the loop thread. After the loop has shut down, jobs go to the
    /// global concurrent executor instead, so no task is ever stranded.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        if !submit({ $0.jobs.append(unowned) }) {
            globalConcurrentExecutor.enqueue(ExecutorJob(unowned))
        }
    }

    /// Runs a job on the loop thread with the loop as its task executor.
    func run(_ job: UnownedJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }
}
