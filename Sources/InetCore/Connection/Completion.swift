/// How a waiting caller is told an operation's result: resume its task, or wake its thread.
/// A closed enum so completing costs a `switch`, not a closure.
enum Completion<Value: Sendable>: @unchecked Sendable {
    // Safe: a continuation is resumed and a waiter fulfilled exactly once, by the loop thread
    // that owns the operation (the operation is removed from its queue before completing).
    case task(UnsafeContinuation<Result<Value, InetError>, Never>)
    case thread(BlockingWaiter<Value>)
    /// Library-internal hand-offs (a TLS listener's finished handshakes); not per I/O event.
    case callback(@Sendable (Result<Value, InetError>) -> Void)

    func complete(_ result: Result<Value, InetError>) {
        switch self {
        case .task(let continuation): continuation.resume(returning: result)
        case .thread(let waiter): waiter.fulfil(result)
        case .callback(let body): body(result)
        }
    }

    func succeed(_ value: Value) { complete(.success(value)) }
    func fail(_ error: InetError) { complete(.failure(error)) }
}

/// Runs `submit` with a completion, from async code: suspends until the loop completes it;
/// cancelling the task calls `cancel` (which should fail the operation with `.cancelled`
/// unless it already ended).
nonisolated(nonsending) func awaitCompletion<Value: Sendable>(
    submit: (Completion<Value>) -> Void, cancel: @Sendable () -> Void
) async throws(InetError) -> Value {
    let result = await withTaskCancellationHandler {
        await withUnsafeContinuation { continuation in
            submit(.task(continuation))
            // A cancel that came before the submission reached the loop first and found
            // nothing; send it again now that the operation is queued ahead of it.
            if Task.isCancelled { cancel() }
        }
    } onCancel: {
        cancel()
    }
    return try result.get()
}

/// Runs `submit` with a completion from a worker thread and blocks until the loop completes it.
func blockForCompletion<Value: Sendable>(
    _ what: String, submit: (Completion<Value>) -> Void
) throws(InetError) -> Value {
    try checkNotOnEventLoop(what)
    let waiter = BlockingWaiter<Value>()
    submit(.thread(waiter))
    return try waiter.wait().get()
}
