import DequeModule

/// Operations waiting on a loop-confined socket, in arrival order, each with its completion and
/// an optional deadline timer. Removing a waiter — served, timed out, cancelled or failed — always
/// cancels its timer, so a timer can never fire for an operation that already ended.
struct WaitQueue<Payload, Value: Sendable> {
    struct Waiter {
        let id: UInt64
        let payload: Payload
        let completion: Completion<Value>
        fileprivate var timer: ScheduledTask?
    }

    private var waiters: Deque<Waiter> = []

    var isEmpty: Bool { waiters.isEmpty }
    var first: Waiter? { waiters.first }

    /// Queues a waiter with its deadline timer, if it has one (the timer should call
    /// ``fail(id:_:)``; callers make it only for a deadline, so a waiter without one allocates
    /// no closure).
    mutating func append(id: UInt64, _ payload: Payload, _ completion: Completion<Value>, timer: ScheduledTask?) {
        waiters.append(Waiter(id: id, payload: payload, completion: completion, timer: timer))
    }

    /// Removes and returns the first waiter.
    mutating func removeFirst() -> Waiter {
        let waiter = waiters.removeFirst()
        waiter.timer?.cancel()
        return waiter
    }

    /// Completes the first waiter.
    mutating func completeFirst(_ result: Result<Value, InetError>) {
        removeFirst().completion.complete(result)
    }

    /// Fails the waiter `id` if it is still waiting (a timeout or a cancellation).
    mutating func fail(id: UInt64, _ error: InetError) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.timer?.cancel()
        waiter.completion.fail(error)
    }

    /// Fails every waiter.
    mutating func failAll(_ error: InetError) {
        let all = waiters
        waiters = []
        for waiter in all {
            waiter.timer?.cancel()
            waiter.completion.fail(error)
        }
    }
}
