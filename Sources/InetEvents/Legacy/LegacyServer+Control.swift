import CInetLinux
import InetCore

/// The server family's controls: `InetServerStop` (stop and wait), `InetServerSuspend`/`Resume`,
/// `InetServerThrottle`, `InetServerLock`/`Unlock`, client priorities and the client list.
extension LegacyServer {
    /// The one server that is locked, if any (the original allows one at a time).
    private static let lockedServer = Locked<ObjectIdentifier?>(nil)

    /// `InetDisconnect` on the server handle: stop accepting, then disconnect every client (its
    /// thread's blocking read ends; no DISCONNECT is posted for a local disconnect). Does not wait.
    func stop() {
        let handles = withState { s -> [InetHandle] in
            s.phase = .stopped
            if case .held = s.lock {
                s.lock = .unlocked
                Self.lockedServer.withLock { if $0 == ObjectIdentifier(self) { $0 = nil } }
            }
            return Array(s.clients.keys)
        }
        condition.broadcast()  // the accept thread, and threads waiting for the lock
        for handle in handles {
            if let entry = HandleTable.remove(handle) { Inet.close(entry) }
        }
    }

    /// Waits until the server thread and every client thread have ended — except the calling
    /// thread when it is one of them (a callback that stops its own server), which ends when its
    /// callback returns. Call after ``stop()``.
    func waitForThreads() {
        let me = cinet_thread_id()
        condition.lock()
        defer { condition.unlock() }
        let inside = state.threadIDs.contains(me)
        if inside { state.stoppersInside += 1 }
        while state.liveThreads > state.stoppersInside { _ = condition.wait() }
        if inside { state.stoppersInside -= 1 }
    }

    /// `InetServerSuspend` (`true`) / `InetServerResume` (`false`). Suspended, the server accepts
    /// nobody: clients wait in the listen backlog until it resumes.
    func setSuspended(_ suspended: Bool) throws(InetError) {
        try withState { (s) throws(InetError) in
            switch (s.phase, suspended) {
            case (.stopped, _): throw InetError(.invalidHandle, "the server is stopping")
            case (.running, true): s.phase = .suspended
            case (.suspended, false): s.phase = .running
            case (.running, false), (.suspended, true): break  // already so
            }
        }
        condition.broadcast()
    }

    /// `true` while suspended.
    var isSuspended: Bool { withState { $0.phase == .suspended } }

    /// `InetServerThrottle`: nil leaves a limit as it is. Clients already connected stay.
    func throttle(maxClients: Int?, maxClientsPerAddress: Int?, acceptInterval: Duration?) {
        withState { s in
            if let maxClients { s.limits.maxClients = maxClients }
            if let maxClientsPerAddress { s.limits.maxClientsPerAddress = maxClientsPerAddress }
            if let acceptInterval { s.limits.acceptInterval = acceptInterval }
        }
        condition.broadcast()  // a rate wait recomputes its deadline
    }

    /// The limits now in force.
    var limits: Limits { withState { $0.limits } }

    // MARK: lock

    /// `InetServerLock`: only the calling thread may work with the server and its clients until
    /// it unlocks; the others wait at their next network call or callback. Counted: each lock
    /// needs its unlock. Waits while another thread holds it; fails (`wouldDeadlock`) when
    /// another server is locked — one at a time, as the original — or the server is stopping.
    func lock() throws(InetError) {
        let me = cinet_thread_id()
        condition.lock()
        defer { condition.unlock() }
        while true {
            guard state.phase != .stopped else { throw InetError(.invalidHandle, "the server is stopping") }
            switch state.lock {
            case .held(let thread, let depth) where thread == me:
                state.lock = .held(thread: me, depth: depth + 1)
                return
            case .held:
                _ = condition.wait()
            case .unlocked:
                let id = ObjectIdentifier(self)
                let claimed = Self.lockedServer.withLock { locked -> Bool in
                    guard locked == nil || locked == id else { return false }
                    locked = id
                    return true
                }
                guard claimed else {
                    throw InetError(.wouldDeadlock, "another server is locked; only one server may be locked at a time")
                }
                state.lock = .held(thread: me, depth: 1)
                return
            }
        }
    }

    /// `InetServerUnlock`: undoes one ``lock()``; the lock is released when the count reaches 0.
    /// Only the locking thread may unlock.
    func unlock() throws(InetError) {
        let me = cinet_thread_id()
        let released = try withState { (s) throws(InetError) -> Bool in
            guard case .held(let thread, let depth) = s.lock else {
                throw InetError(.invalidParameter, "the server is not locked")
            }
            guard thread == me else {
                throw InetError(
                    .notHandleOwner,
                    "thread \(thread) holds the server's lock; only it can unlock (this is thread \(me))")
            }
            if depth > 1 {
                s.lock = .held(thread: me, depth: depth - 1)
                return false
            }
            s.lock = .unlocked
            Self.lockedServer.withLock { $0 = nil }
            return true
        }
        if released { condition.broadcast() }
    }

    /// Waits while another thread holds the server's lock (or until the server stops). Every
    /// blocking call on a client handle and every callback passes here first.
    func passLock() {
        let me = cinet_thread_id()
        condition.lock()
        defer { condition.unlock() }
        while case .held(let thread, _) = state.lock, thread != me, state.phase != .stopped {
            state.lockWaiters += 1
            _ = condition.wait()
            state.lockWaiters -= 1
        }
    }

    // MARK: clients

    /// The connected clients' handles, oldest first.
    var clientHandles: [InetHandle] { withState { $0.clients.keys.sorted { $0.rawValue < $1.rawValue } } }

    /// The server thread's id (as ``Inet/attachThread(_:_:)`` counts threads).
    var serverThreadID: UInt32 { withState { $0.serverThreadID } }

    /// `InetSetClientPriority`: records `priority`, returns the previous one.
    func setPriority(_ priority: InetPriority, of client: InetHandle) throws(InetError) -> InetPriority {
        try withState { (s) throws(InetError) -> InetPriority in
            guard let old = s.clients[client]?.priority else {
                throw InetError(.invalidHandle, "handle \(client) is not a client of this server")
            }
            s.clients[client]?.priority = priority
            return old
        }
    }

    /// A client's recorded priority.
    func priority(of client: InetHandle) throws(InetError) -> InetPriority {
        try withState { (s) throws(InetError) -> InetPriority in
            guard let priority = s.clients[client]?.priority else {
                throw InetError(.invalidHandle, "handle \(client) is not a client of this server")
            }
            return priority
        }
    }
}
