import DequeModule
import InetCore

/// Where legacy messages wait for the application to pump them — the replacement for a window
/// message loop. Pump with ``next(timeout:)`` on a thread, or `for await` over the queue.
public final class MessageQueue: AsyncSequence, Sendable {
    /// Messages.
    public typealias Element = LegacyMessage
    /// Iteration never throws.
    public typealias Failure = Never

    private struct State {
        var messages: Deque<LegacyMessage> = []
        var waiters: Deque<CheckedContinuation<LegacyMessage, Never>> = []
    }

    private let state = Locked(State())
    private let condition = ConditionLock()

    /// An empty queue.
    public init() {}

    /// Posts a message (what the original's `PostMessage` did).
    public func post(_ message: LegacyMessage) {
        let waiter = state.withLock { s -> CheckedContinuation<LegacyMessage, Never>? in
            if let waiter = s.waiters.popFirst() { return waiter }
            s.messages.append(message)
            return nil
        }
        if let waiter { return waiter.resume(returning: message) }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// The next message, waiting at most `timeout` (nil: forever) on the calling thread.
    @available(*, noasync, message: "blocks the thread; iterate the queue with for await instead")
    public func next(timeout: Duration?) -> LegacyMessage? {
        let deadline = timeout.map { Deadline.after($0) }
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let message = state.withLock({ $0.messages.popFirst() }) { return message }
            if !condition.wait(until: deadline) { return state.withLock { $0.messages.popFirst() } }
        }
    }

    /// Messages waiting now.
    public var count: Int { state.withLock { $0.messages.count } }

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: MessageQueue
        /// The next message (waits for one).
        public mutating func next() async -> LegacyMessage? {
            let queue = self.queue
            if let message = queue.state.withLock({ $0.messages.popFirst() }) { return message }
            return await withCheckedContinuation { continuation in
                let ready = queue.state.withLock { s -> LegacyMessage? in
                    if let message = s.messages.popFirst() { return message }
                    s.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// An iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: self) }
}
