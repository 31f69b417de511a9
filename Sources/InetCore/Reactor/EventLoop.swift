import Synchronization
import CInetLinux
import DequeModule
import Glibc
import HeapModule

/// One thread, one epoll instance: runs tasks, timers and socket events for the sockets it owns.
///
/// Everything a loop owns (sockets, timers, per-connection state) is touched only on its thread.
/// ``execute(_:)`` and ``schedule(after:_:)`` may be called from any thread.
public final class EventLoop: @unchecked Sendable {
    // Safe: `incoming` is behind a lock; `selector` is immutable after init (its wake-up is a
    // syscall); every other stored property is touched only on the loop thread (`assertInLoop`).

    private enum RunState { case running, stopping, stopped }

    struct Incoming {
        var tasks: Deque<LoopWork> = []
        /// Swift concurrency jobs given to the loop as an executor (see EventLoop+Executor).
        var jobs: Deque<UnownedJob> = []
        /// Closures and jobs accepted so far (tests observe that a fast path hands none).
        var submitted = 0
        /// An eventfd write is outstanding (set only by the thread that writes it).
        var wakePending = false
        var accepting = true
    }

    /// Index of this loop in its group (for names and logs).
    public let index: Int
    private let selector: Selector
    private let incoming = Locked(Incoming())
    /// How many tasks wait in `incoming`, readable without the lock: the loop skips locking when
    /// it is 0. Written under the lock; a stale 0 is harmless (a submitter from another thread
    /// also writes the eventfd, so the loop wakes and looks again).
    private let queuedTasks = Atomic<Int>(0)
    // Loop-thread state below is `@exclusivity(unchecked)`: only the loop thread touches it.
    @exclusivity(unchecked) private var timers = Heap<TimerEntry>()
    @exclusivity(unchecked) private var insertsSinceCompaction = 0
    /// The other half of the task queue's double buffer (see `runTasks`); loop thread only.
    @exclusivity(unchecked) private var spareTasks = Deque<LoopWork>()
    @exclusivity(unchecked) private var spareJobs = Deque<UnownedJob>()
    /// Closures and jobs handed to the loop so far (tests observe that a fast path hands none).
    package var submissionCount: Int { incoming.withLock { $0.submitted } }
    @exclusivity(unchecked) private var timerSequence: UInt64 = 0
    // Unchecked exclusivity: read once per event (the registrant is copied out before it runs).
    @exclusivity(unchecked) private var slots: [Slot] = []
    @exclusivity(unchecked) private var runState = RunState.running
    private var thread: pthread_t?
    private let started = ConditionLock()
    private var hasStarted = false

    private struct Slot {
        var generation: UInt32 = 0
        var registrant: Registrant?
    }

    /// Scratch memory for reads, shared by the loop's sockets (64 KiB: one whole UDP datagram).
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

    init(index: Int) throws(InetError) {
        self.index = index
        self.selector = try Selector()
    }

    deinit { scratch.deallocate() }

    /// The loop running the current thread, if this is a loop thread.
    public static var current: EventLoop? {
        guard let raw = cinet_current_loop() else { return nil }
        return Unmanaged<EventLoop>.fromOpaque(raw).takeUnretainedValue()
    }

    /// True on this loop's thread.
    public var inEventLoop: Bool { cinet_current_loop() == Unmanaged.passUnretained(self).toOpaque() }

    @inline(__always) func assertInLoop(_ file: StaticString = #fileID, _ line: UInt = #line) {
        assert(inEventLoop, "must run on the event loop thread", file: file, line: line)
    }

    // MARK: tasks

    /// Runs `task` on the loop thread, after the tasks already submitted. Returns false (and drops
    /// the task) when the loop has shut down.
    @discardableResult
    public func execute(_ task: @escaping @Sendable () -> Void) -> Bool {
        // From the loop's own thread no wake-up is needed: the loop looks at its queue again
        // before it sleeps. `wakePending` means exactly "an eventfd write is outstanding" — setting
        // it without writing would make later submitters skip their write and the loop sleep on.
        submit { $0.tasks.append(.closure(task)) }
    }

    /// Queues the library's own work (see ``LoopWork``); false when the loop has shut down.
    @discardableResult
    func execute(_ work: LoopWork) -> Bool {
        submit { $0.tasks.append(work) }
    }

    /// Queues what `add` puts in `incoming`, waking the loop when needed; false when the loop
    /// has stopped accepting (nothing was added).
    @inline(__always)
    func submit(_ add: (inout Incoming) -> Void) -> Bool {
        let onLoop = inEventLoop
        let (accepted, wake) = incoming.withLock { state -> (Bool, Bool) in
            guard state.accepting else { return (false, false) }
            add(&state)
            state.submitted &+= 1
            queuedTasks.store(state.tasks.count + state.jobs.count, ordering: .releasing)
            if onLoop || state.wakePending { return (true, false) }
            state.wakePending = true
            return (true, true)
        }
        if wake { selector.wakeUp() }
        return accepted
    }

    /// Runs `task` on the loop after `delay`. Cancel it through the returned handle.
    @discardableResult
    public func schedule(after delay: Duration, _ task: @escaping @Sendable () -> Void) -> Scheduled {
        schedule(at: .after(delay), task)
    }

    /// Runs `task` on the loop at `deadline`.
    @discardableResult
    public func schedule(at deadline: Deadline, _ task: @escaping @Sendable () -> Void) -> Scheduled {
        if inEventLoop {
            return Scheduled(loop: self, task: UnsafeTransfer(scheduleInLoop(at: deadline, task)))
        }
        let transfer = UnsafeTransfer(ScheduledTask(deadline: deadline, body: task))
        // `cancel()` also hops to the loop, so it always runs after this insertion.
        execute { [self] in insertTimer(transfer.value) }
        return Scheduled(loop: self, task: transfer)
    }

    /// Schedules on the loop thread itself; returns the task for cheap cancellation.
    func scheduleInLoop(at deadline: Deadline, _ body: @escaping () -> Void) -> ScheduledTask {
        assertInLoop()
        let task = ScheduledTask(deadline: deadline, body: body)
        insertTimer(task)
        return task
    }

    private func insertTimer(_ task: ScheduledTask) {
        timerSequence &+= 1
        task.sequence = timerSequence
        // Cancelled timers stay in the heap until they come up. A connect or I/O timeout is
        // nearly always cancelled long before it is due, so without this the heap would hold
        // every timeout of the last `timeout` seconds (200,000 at 10,000 connects/s and 20 s).
        // Dropping them every time the heap has grown by half keeps inserts amortized O(log n).
        insertsSinceCompaction += 1
        if insertsSinceCompaction >= max(1024, timers.count / 2) {
            insertsSinceCompaction = 0
            timers = Heap(timers.unordered.filter { $0.task.body != nil })
        }
        timers.insert(TimerEntry(task: task))
    }

    // MARK: registrations

    /// Registers `fd` for edge-triggered in/out/hang-up events delivered to `registrant`.
    func register(fd: Int32, _ registrant: Registrant) throws(InetError) -> RegistrationToken {
        assertInLoop()
        guard runState == .running else { throw InetError(.eventLoopShutdown, "the event loop was shut down") }
        let index = Int(fd)
        if index >= slots.count { slots.append(contentsOf: repeatElement(Slot(), count: index - slots.count + 64)) }
        slots[index].generation &+= 1
        if slots[index].generation == 0 { slots[index].generation = 1 }
        let token = RegistrationToken(fd: fd, generation: slots[index].generation)
        try selector.add(fd: fd, token: token.packed)
        slots[index].registrant = registrant
        return token
    }

    /// Removes a registration; call before closing the descriptor.
    /// Ends a registration. `descriptorClosing`: the caller closes the (close-on-exec)
    /// descriptor right after, which removes it from epoll; events already fetched for it carry
    /// the old generation and are dropped.
    func deregister(_ token: RegistrationToken, descriptorClosing: Bool = false) {
        assertInLoop()
        let index = Int(token.fd)
        guard index < slots.count, slots[index].generation == token.generation else { return }
        if !descriptorClosing { selector.remove(fd: token.fd) }
        slots[index].registrant = nil
        slots[index].generation &+= 1
    }

    // MARK: running

    func start() throws(InetError) {
        thread = try spawnThread(name: "inet-loop-\(index)", detached: false) { [self] in run() }
        started.lock()
        while !hasStarted { _ = started.wait() }
        started.unlock()
    }

    private func run() {
        cinet_set_current_loop(Unmanaged.passUnretained(self).toOpaque())
        started.lock()
        hasStarted = true
        started.broadcast()
        started.unlock()
        while true {
            runExpiredTimers()
            // Tasks that queue more tasks (a resumed job that completes and resumes another) run
            // again at once, a bounded number of rounds, instead of after an empty poll.
            var more = runTasks()
            var rounds = 1
            while more && rounds < 8 {
                more = runTasks()
                rounds += 1
            }
            if runState == .stopping { break }
            var timeout: Int32 = more ? 0 : nextTimeoutMilliseconds()
            // Releasing tasks and timers can run deinits that submit work from this thread (which
            // writes no eventfd): look at the queue once more, last thing before sleeping.
            if timeout != 0, queuedTasks.load(ordering: .acquiring) > 0 { timeout = 0 }
            selector.wait(timeoutMilliseconds: timeout) { token, readiness in
                let t = RegistrationToken(packed: token)
                let index = Int(t.fd)
                // A stale event (fd closed, maybe reused) has an old generation: drop it.
                guard index < slots.count, slots[index].generation == t.generation,
                    let registrant = slots[index].registrant
                else { return }
                registrant.handle(readiness)
            }
        }
        finishShutdown()
        cinet_set_current_loop(nil)
    }

    /// Runs the queued tasks once; returns true if more arrived meanwhile.
    private func runTasks() -> Bool {
        // `wakePending` can only be set while tasks wait, so skipping the lock at 0 leaves it right.
        guard queuedTasks.load(ordering: .acquiring) > 0 else { return false }
        // The queue and the loop's (empty) spare swap places: both keep their storage, so
        // steady-state submissions allocate only their closures, never queue storage.
        incoming.withLock { state in
            swap(&state.tasks, &spareTasks)
            swap(&state.jobs, &spareJobs)
            state.wakePending = false
            queuedTasks.store(0, ordering: .releasing)
        }
        // Each task is released as soon as it has run (its captures' deinits may submit work).
        while let task = spareTasks.popFirst() { task.run() }
        while let job = spareJobs.popFirst() { run(job) }
        return queuedTasks.load(ordering: .acquiring) > 0
    }

    private func runExpiredTimers() {
        guard !timers.isEmpty else { return }
        let now = Deadline.now()
        while let first = timers.min, first.task.deadline <= now {
            _ = timers.removeMin()
            if let body = first.task.body {
                first.task.body = nil
                body()
            }
        }
    }

    private func nextTimeoutMilliseconds() -> Int32 {
        while let first = timers.min, first.task.body == nil { _ = timers.removeMin() }
        guard let first = timers.min else { return -1 }
        let remaining = Int64(clamping: first.task.deadline.remainingNanoseconds)
        // Round up so a timer never fires early; cap to keep Int32 happy.
        return Int32(clamping: min((remaining + 999_999) / 1_000_000, 86_400_000))
    }

    // MARK: shutdown

    /// Asks the loop to stop: its sockets are closed, their waiters failed with `eventLoopShutdown`.
    func requestShutdown() {
        execute { [self] in runState = .stopping }
    }

    private func finishShutdown() {
        // Fail every owner, then run what they queued; repeat until quiet (a task may have
        // registered something; `register` refuses from here on). Timers are dropped: their
        // owners were failed.
        let shutdown = InetError(.eventLoopShutdown, "the event loop was shut down")
        while true {
            for index in slots.indices {
                if let registrant = slots[index].registrant { registrant.loopShuttingDown() }
            }
            for operation in operations { operation.abort(shutdown) }  // a copy: aborting untracks
            operations = []
            var (pending, jobs) = incoming.withLock { state -> (Deque<LoopWork>, Deque<UnownedJob>) in
                state.accepting = false
                defer {
                    state.tasks = []
                    state.jobs = []
                    queuedTasks.store(0, ordering: .releasing)
                }
                return (state.tasks, state.jobs)
            }
            if pending.isEmpty && jobs.isEmpty { break }
            while let task = pending.popFirst() { task.run() }
            // Jobs are tasks' continuations: never dropped. Those queued before the stop run
            // here; later ones go to the global executor (`enqueue`).
            while let job = jobs.popFirst() { run(job) }
        }
        timers = Heap()
        runState = .stopped
    }

    /// Connect operations in progress on this loop, failed if it shuts down before they end.
    /// An array, not a dictionary (no hashing per connect): each operation keeps its index.
    @exclusivity(unchecked) private var operations: [ConnectOperation] = []

    func track(_ operation: ConnectOperation) throws(InetError) {
        assertInLoop()
        guard runState == .running else { throw InetError(.eventLoopShutdown, "the event loop was shut down") }
        operation.trackIndex = operations.count
        operations.append(operation)
    }

    /// Idempotent; swap-removes (order does not matter).
    func untrack(_ operation: ConnectOperation) {
        let index = operation.trackIndex
        guard index >= 0 else { return }
        assert(operations[index] === operation, "a tracked operation's index is its slot")
        let last = operations.removeLast()
        if index < operations.count {
            operations[index] = last
            last.trackIndex = index
        }
        operation.trackIndex = -1
    }

    /// Waits for the loop thread to end (after `requestShutdown`).
    func join() {
        guard let thread, !inEventLoop else { return }
        pthread_join(thread, nil)
        self.thread = nil
    }
}
