import CInetLinux
import InetCore

/// The gate every callback handed to a caller-named `DispatchQueue` passes, so the promise of
/// `disableEvents()` and `close()` holds there too: once they return, no event is being or will
/// be delivered — including one already on the queue.
final class QueueGate: @unchecked Sendable {
    // Safe: `open` and `runningOn` are touched only with `condition` locked.
    private let condition = ConditionLock()
    private var open = true
    /// The thread running a callback now (kernel thread id), if one is.
    private var runningOn: UInt32?

    /// Runs `callback` unless the gate is shut.
    func pass(_ callback: () -> Void) {
        condition.lock()
        guard open else { return condition.unlock() }
        runningOn = cinet_thread_id()
        condition.unlock()
        callback()
        condition.lock()
        runningOn = nil
        condition.broadcast()
        condition.unlock()
    }

    /// Shuts the gate and waits for a callback running on another thread to return. Called from
    /// inside a callback (or where waiting could deadlock: `wait` false) it only shuts.
    func shut(wait: Bool) {
        condition.lock()
        open = false
        while wait, let thread = runningOn, thread != cinet_thread_id() { _ = condition.wait() }
        condition.unlock()
    }

    /// Opens the gate again (enableEvents).
    func reopen() {
        condition.lock()
        open = true
        condition.unlock()
    }
}
