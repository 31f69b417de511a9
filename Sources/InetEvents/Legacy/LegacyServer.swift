import CInetLinux
import InetCore

/// An `InetServerStart` server: a server thread that accepts, and one thread per client that
/// owns the client's handle and calls the application's callback on it — CONNECT first, READ
/// each time new bytes arrive (they wait in the handle's buffer, which `Inet.read`/`readLine`
/// serve first), TIMEOUT after `nTimeout` seconds without data, DISCONNECT when the client
/// closes (or fails). Inside the callback every `Inet.*` call on the client handle is allowed,
/// blocking ones included: it runs on the client's own thread.
///
/// The control half (suspend, throttle, lock, stop and wait) is in `LegacyServer+Control.swift`.
final class LegacyServer: @unchecked Sendable {
    // Safe: `state` is read and written only with `condition` locked; the rest is immutable.

    /// Where the server is in its life. `stopped` is final.
    enum Phase: Equatable {
        /// Accepting (subject to the limits).
        case running
        /// Not accepting: clients wait in the listen backlog (`InetServerSuspend`).
        case suspended
        /// Stopping or stopped: the accept thread ends, every client is being disconnected.
        case stopped
    }

    /// `InetServerThrottle`'s limits; 0 means none.
    struct Limits {
        var maxClients: Int
        var maxClientsPerAddress = 0
        /// The least time between two accepts.
        var acceptInterval: Duration = .zero
    }

    /// `InetServerLock`: who holds the server and how many times.
    enum Lock: Equatable {
        case unlocked
        case held(thread: UInt32, depth: Int)
    }

    /// One admitted client.
    struct Client {
        /// The peer's IP address (the per-address limit counts these).
        let address: String
        /// `InetSetClientPriority`'s value (recorded; see `Docs/Porting.md`).
        var priority: InetPriority
    }

    struct State {
        var phase = Phase.running
        var limits: Limits
        var lock = Lock.unlocked
        var clients: [InetHandle: Client] = [:]
        /// Threads started and not yet ended (the server thread and the client threads).
        var liveThreads = 0
        /// Threads of this server now waiting in `stopAndWait` (they do not wait for themselves).
        var stoppersInside = 0
        /// Ids of this server's threads, once each has started.
        var threadIDs: Set<UInt32> = []
        var serverThreadID: UInt32 = 0
        var lastAccept: Deadline?
        /// Threads waiting in ``passLock()``, and accepted clients waiting for a resume (tests).
        var lockWaiters = 0
        var heldForResume = 0
    }

    let listener: Listener
    private let proc: InetEventProc
    private let param: UInt
    private let defaultPriority: InetPriority
    let condition = ConditionLock()
    var state: State

    init(listener: Listener, proc: @escaping InetEventProc, param: UInt, maxClients: Int, priority: InetPriority) {
        self.listener = listener
        self.proc = proc
        self.param = param
        self.defaultPriority = priority
        self.state = State(limits: Limits(maxClients: maxClients))
    }

    /// Runs `body` with the state locked.
    func withState<T, E: Error>(_ body: (inout State) throws(E) -> T) throws(E) -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body(&state)
    }

    /// Starts the server thread; returns once it runs (so its id is known).
    func start() throws(InetError) {
        withState { $0.liveThreads += 1 }
        do throws(InetError) {
            _ = try spawnThread(name: "inet-server", detached: true) { [self] in
                withState {
                    $0.serverThreadID = cinet_thread_id()
                    $0.threadIDs.insert(cinet_thread_id())
                }
                condition.broadcast()
                acceptLoop()
                threadEnded(ownThread: true)
            }
        } catch {
            threadEnded(ownThread: false)
            throw error
        }
        condition.lock()
        while state.serverThreadID == 0 { _ = condition.wait() }
        condition.unlock()
    }

    /// How many clients are connected.
    var clientCount: Int { withState { $0.clients.count } }

    private func acceptLoop() {
        while waitUntilAccepting() {
            guard let connection = try? listener.blocking.accept() else { return }  // closed: stop
            switch admit(connection) {
            case .stop:
                connection.eventLoop.execute { connection.closeOnLoop() }
                return
            case .reject:
                connection.eventLoop.execute { connection.closeOnLoop() }  // over a limit
            case .admitted(let handle, let entry):
                startClient(handle, entry, connection)
            }
        }
    }

    /// Waits while suspended or while the connection rate says not yet; false once stopped.
    private func waitUntilAccepting() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch state.phase {
            case .stopped: return false
            case .suspended: _ = condition.wait()
            case .running:
                guard let last = state.lastAccept, state.limits.acceptInterval > .zero else { return true }
                let next = last + state.limits.acceptInterval
                if Deadline.now() >= next { return true }
                _ = condition.wait(until: next)
            }
        }
    }

    private enum Admission {
        case admitted(InetHandle, HandleEntry)
        case reject
        case stop
    }

    /// Counts the client in, or says why not. A client accepted while the server was being
    /// suspended waits here until it resumes (as the backlog's clients do).
    private func admit(_ connection: Connection) -> Admission {
        let address = connection.remoteAddress.ipAddress
        condition.lock()
        defer { condition.unlock() }
        while state.phase == .suspended {
            state.heldForResume += 1
            _ = condition.wait()
            state.heldForResume -= 1
        }
        guard state.phase == .running else { return .stop }
        state.lastAccept = .now()
        let limits = state.limits
        if limits.maxClients > 0, state.clients.count >= limits.maxClients { return .reject }
        if limits.maxClientsPerAddress > 0,
            state.clients.values.lazy.filter({ $0.address == address }).count >= limits.maxClientsPerAddress
        {
            return .reject
        }
        let handle = HandleTable.allocate()
        state.clients[handle] = Client(address: address, priority: defaultPriority)
        state.liveThreads += 1  // counted before it starts, so a stop waits for it
        // Published with the state locked: a stop's snapshot of `clients` then always finds the
        // handle in the table and closes it (published later, a stop in between missed it and
        // its thread read on, so the stop waited for it forever).
        let entry = HandleEntry(kind: .blocking(connection), freeThread: false, server: .clientOf(self))
        HandleTable.publish(handle, entry)
        return .admitted(handle, entry)
    }

    private func startClient(_ handle: InetHandle, _ entry: HandleEntry, _ connection: Connection) {
        do throws(InetError) {
            _ = try spawnThread(name: "inet-server-client", detached: true) { [self] in
                withState { _ = $0.threadIDs.insert(cinet_thread_id()) }
                serve(handle, entry, connection)
                threadEnded(ownThread: true)
            }
        } catch {
            finished(handle)
            if let entry = HandleTable.remove(handle) { Inet.close(entry) }
            threadEnded(ownThread: false)
        }
    }

    /// The client thread: owns the handle and calls the callback until the client is gone.
    private func serve(_ handle: InetHandle, _ entry: HandleEntry, _ connection: Connection) {
        _ = entry.attach(to: cinet_thread_id())
        defer {
            finished(handle)
            if let entry = HandleTable.remove(handle) { Inet.close(entry) }  // unless the callback disconnected it
        }
        post(handle, .connect, 0)
        while HandleTable.isLive(handle) {
            let chunk: [UInt8]
            do throws(InetError) {
                chunk = try Inet.blockingRead(entry, connection, maxBytes: 65536)
            } catch  where error.code == .timedOut {
                if HandleTable.isLive(handle) { post(handle, .timeout, error.legacyCode) }
                continue
            } catch {
                // Cancelled by a local disconnect: no event; else the client failed.
                if HandleTable.isLive(handle), error.code != .cancelled { post(handle, .disconnect, error.legacyCode) }
                return
            }
            if chunk.isEmpty {
                if HandleTable.isLive(handle) { post(handle, .disconnect, 0) }
                return
            }
            entry.state.withLock { $0.lineBuffer += chunk }
            post(handle, .read, 0)
        }
    }

    /// Calls the application's callback once the server is not locked by another thread.
    private func post(_ handle: InetHandle, _ event: InetEvent, _ error: UInt32) {
        passLock()
        guard HandleTable.isLive(handle) else { return }  // disconnected while it waited
        proc(handle, UInt32(event.rawValue), error, param)
    }

    private func finished(_ handle: InetHandle) { withState { _ = $0.clients.removeValue(forKey: handle) } }

    /// A counted thread ended (`ownThread`), or never started (false: the caller is another thread).
    private func threadEnded(ownThread: Bool) {
        withState {
            $0.liveThreads -= 1
            if ownThread { $0.threadIDs.remove(cinet_thread_id()) }
        }
        condition.broadcast()
    }
}
