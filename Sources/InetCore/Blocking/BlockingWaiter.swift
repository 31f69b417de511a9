/// Where a blocking call waits for its result. The loop guarantees every operation ends (by
/// result, its own deadline timer, or shutdown), so the wait itself needs no timeout.
final class BlockingWaiter<Value: Sendable>: @unchecked Sendable {
    // Safe: `result` is only read or written with `condition` locked.
    private let condition = ConditionLock()
    private var result: Result<Value, InetError>?

    func fulfil(_ value: Result<Value, InetError>) {
        condition.lock()
        if result == nil { result = value }
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Result<Value, InetError> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return result }
            _ = condition.wait()
        }
    }
}

/// Refuses blocking calls on any event loop thread: they would wait for the loop they block.
@inline(__always)
func checkNotOnEventLoop(_ what: String) throws(InetError) {
    if let loop = EventLoop.current {
        throw InetError(
            .wouldDeadlock,
            "blocking \(what) called on event loop thread \(loop.index); use the async or delegate API there")
    }
}
