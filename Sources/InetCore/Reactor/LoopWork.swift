/// One piece of work queued to a loop from ``EventLoop/execute(_:)`` or by the library itself.
///
/// A closed enum rather than a bare closure, for two allocations: a closure stored straight into
/// a generic `Deque` is wrapped in a reabstraction thunk (one more heap object per submission),
/// while a closure in an enum payload is stored as it is; and the library's own per-connection
/// submissions (starting a connect, closing a dropped connection) carry their object instead of
/// a closure context, so they allocate nothing at all.
enum LoopWork: @unchecked Sendable {
    // Safe: the objects are only touched when the work runs, on the loop thread that owns them.
    case closure(@Sendable () -> Void)
    /// Begin a connect operation made off the loop (see `ConnectOperation.start`).
    case beginConnect(ConnectOperation)
    /// Close a connection whose `Connection` was dropped (graceful, bounded by the deadline).
    case closeDropped(ConnectionCore, Deadline?)

    /// Runs it (loop thread).
    func run() {
        switch self {
        case .closure(let body): body()
        case .beginConnect(let operation): operation.begin()
        case .closeDropped(let core, let deadline): core.close(deadline: deadline, nil)
        }
    }
}
