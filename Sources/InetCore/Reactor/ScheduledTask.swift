/// A timer's work, confined to its loop. Cancelling marks it; the heap drops it when it comes up.
final class ScheduledTask {
    let deadline: Deadline
    @exclusivity(unchecked) var sequence: UInt64 = 0  // set when inserted into the heap
    @exclusivity(unchecked) var body: (() -> Void)?

    init(deadline: Deadline, body: @escaping () -> Void) {
        self.deadline = deadline
        self.body = body
    }

    /// Cancels the task (loop thread only). Cheap and idempotent.
    func cancel() { body = nil }
}

/// A heap entry ordered by deadline, then by scheduling order.
struct TimerEntry: Comparable {
    let task: ScheduledTask
    static func < (lhs: TimerEntry, rhs: TimerEntry) -> Bool {
        (lhs.task.deadline, lhs.task.sequence) < (rhs.task.deadline, rhs.task.sequence)
    }
    static func == (lhs: TimerEntry, rhs: TimerEntry) -> Bool { lhs.task === rhs.task }
}

/// A handle to a task scheduled on an ``EventLoop``; ``cancel()`` from any thread.
public struct Scheduled: Sendable {
    let loop: EventLoop
    let task: UnsafeTransfer<ScheduledTask>

    /// Cancels the task if it has not run yet.
    public func cancel() {
        let task = self.task
        loop.execute { task.value.cancel() }
    }
}

/// Carries a loop-confined value across a thread boundary to code that touches it only on its loop.
package struct UnsafeTransfer<Value>: @unchecked Sendable {
    // Safe: the value is only used on its loop thread (or by a caller waiting for that use).
    package let value: Value
    package init(_ value: Value) { self.value = value }
}
