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
        /// Iterators waiting for a message; each is resumed once — with a message, or with nil
        /// when the queue finishes or its task is cancelled (whichever removes it first).
        var waiters: Deque<(id: UInt64, continuation: CheckedContinuation<LegacyMessage?, Never>)> = []
        var nextID: UInt64 = 0
        var finished = false
    }

    private let state = Locked(State())
    private let condition = ConditionLock()

    /// An empty queue.
    public init() {}

    /// Posts a message (what the original's `PostMessage` did). After ``finish()`` it is dropped.
    public func post(_ message: LegacyMessage) {
        let waiter = state.withLock { s -> CheckedContinuation<LegacyMessage?, Never>? in
            if s.finished { return nil }
            if let waiter = s.waiters.popFirst() { return waiter.continuation }
            s.messages.append(message)
            return nil
        }
        if let waiter { return waiter.resume(returning: message) }
        wakeThreads()
    }

    /// Ends the queue: messages already posted are still delivered, then every pump — blocking
    /// ``next(timeout:)`` and `for await` alike — gets nil. Later posts are dropped. Idempotent.
    public func finish() {
        let waiting = state.withLock { s -> [CheckedContinuation<LegacyMessage?, Never>] in
            s.finished = true
            defer { s.waiters.removeAll() }
            return s.waiters.map(\.continuation)  // waiters exist only while no message is queued
        }
        for waiter in waiting { waiter.resume(returning: nil) }
        wakeThreads()
    }

    /// Drops the messages of `handle` still waiting (what `Inet.disableEvents` and
    /// `Inet.disconnect` do, so a pump never sees a message of a handle after either returned).
    /// Returns the events of the messages dropped.
    @discardableResult
    public func purge(handle: InetHandle) -> [InetEvent] {
        state.withLock { s in
            let dropped = s.messages.filter { $0.handle == handle }.compactMap(\.event)
            s.messages.removeAll { $0.handle == handle }
            return dropped
        }
    }

    /// True once ``finish()`` was called.
    public var isFinished: Bool { state.withLock { $0.finished } }

    private func wakeThreads() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// The next message, waiting at most `timeout` (nil: forever) on the calling thread; nil on
    /// timeout, or at once when the queue has finished and is empty.
    @available(*, noasync, message: "blocks the thread; iterate the queue with for await instead")
    public func next(timeout: Duration?) -> LegacyMessage? {
        let deadline = timeout.map { Deadline.after($0) }
        condition.lock()
        defer { condition.unlock() }
        while true {
            let (message, finished) = state.withLock { ($0.messages.popFirst(), $0.finished) }
            if let message { return message }
            if finished { return nil }
            if !condition.wait(until: deadline) { return state.withLock { $0.messages.popFirst() } }
        }
    }

    /// Messages waiting now.
    public var count: Int { state.withLock { $0.messages.count } }

    /// The iterator: ends (nil) when the queue has finished and is drained, or when the
    /// iterating task is cancelled.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: MessageQueue
        /// The next message (waits for one), or nil at the end.
        public mutating func next() async -> LegacyMessage? {
            let queue = self.queue
            let id = queue.state.withLock { s -> UInt64 in
                s.nextID += 1
                return s.nextID
            }
            return await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let ready = queue.state.withLock { s -> LegacyMessage?? in
                        if let message = s.messages.popFirst() { return .some(message) }
                        if s.finished || Task.isCancelled { return .some(nil) }
                        s.waiters.append((id, continuation))
                        return nil
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            } onCancel: {
                let waiter = queue.state.withLock { s -> CheckedContinuation<LegacyMessage?, Never>? in
                    guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return s.waiters.remove(at: index).continuation
                }
                waiter?.resume(returning: nil)
            }
        }
    }

    /// An iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: self) }
}
