/// One cancellation handler for a whole conversation on a connection, instead of one per wait.
///
/// Every suspending read normally installs and removes a task cancellation handler, and the
/// Swift runtime takes the task's status lock for each (measured: ~20 % of an async client's
/// user CPU on 64 connections). Inside ``Connection/withCancellationScope(_:)`` — which
/// ``Listener/serve(_:)`` puts around each handler — a read
/// from the scope's own task on the connection's loop waits without a handler of its own: the
/// scope's one handler fails that task's waiting read with `cancelled` instead. The promise is
/// unchanged: a cancelled task's read ends once, with `cancelled`, and a read started after the
/// cancellation takes the usual path (which sees it at once).
enum CancellationScope {
    /// No scope: every wait brings its own handler.
    case none
    /// `task` runs a scope (entered on the loop). Kept only for identity while the scope's body
    /// runs, when the task is certainly alive; never used to act on the task. `generation` tells this scope from a later
    /// one, so a late cancellation of an ended scope cancels nothing; `read` is the id of the
    /// scope task's latest handler-less read wait (cancelling an id that already ended is a no-op).
    case active(task: UnsafeCurrentTask, generation: UInt64, read: UInt64?)

    /// Whether the current task owns the scope (so its waits may skip their handlers).
    func isOwned(by current: UnsafeCurrentTask?) -> Bool {
        guard case .active(let task, _, _) = self, let current else { return false }
        return task == current
    }
}

extension ConnectionCore {
    /// Enters a scope for `task`, if none is active (a nested or second scope just keeps the
    /// per-wait handlers); returns its generation, or nil when it did not enter.
    func enterScope(_ task: UnsafeCurrentTask) -> UInt64? {
        guard case .none = scope else { return nil }
        scopeGenerations &+= 1
        scope = .active(task: task, generation: scopeGenerations, read: nil)
        return scopeGenerations
    }

    /// Ends the scope `generation` (its body returned).
    func leaveScope(_ generation: UInt64) {
        guard case .active(_, let active, _) = scope, active == generation else {
            assertionFailure("leaving scope \(generation), not the active one: \(scope)")
            return
        }
        scope = .none
    }

    /// Records the scope task's handler-less read wait.
    func scopedRead(_ id: UInt64) {
        guard case .active(let task, let generation, _) = scope else {
            return assertionFailure("a scoped read with no scope")
        }
        scope = .active(task: task, generation: generation, read: id)
    }

    /// The scope's cancellation handler, run on the loop: fails the scope task's waiting read.
    func cancelScope(_ generation: UInt64) {
        guard case .active(_, let active, let read?) = scope, active == generation else { return }
        cancelRead(read, InetError(.cancelled, "read cancelled"))
    }
}
