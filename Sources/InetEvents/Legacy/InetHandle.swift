import CInetLinux
import InetCore
import Synchronization

/// A legacy socket handle: opaque, and never reused within a process (a counter, not an index),
/// so a stale handle can only ever be invalid, never someone else's connection.
public struct InetHandle: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number.
    public var rawValue: UInt
    /// Wraps a number.
    public init(rawValue: UInt) { self.rawValue = rawValue }
    /// `INVALID_SOCKET`.
    public static let invalid = InetHandle(rawValue: .max)
    /// `0x…` in hex.
    public var description: String { "0x" + String(rawValue, radix: 16) }
}

/// A per-event callback (`INETEVENTPROC`): the handle, the event id (`INET_EVENT_*`), the error
/// code (0: none) and the caller's `dwParam`. Runs on the handle's loop thread, where calls on
/// that handle are allowed (non-blocking ones; see `Docs/Porting.md`).
public typealias InetEventProc =
    @Sendable (_ handle: InetHandle, _ eventId: UInt32, _ error: UInt32, _ param: UInt) -> Void

/// A blocking call in progress on a handle, which ``Inet/cancel(_:)`` can end.
enum ActiveCall: Sendable {
    case connection(Connection, UInt64)
    case listener(Listener, UInt64)

    func cancel() {
        switch self {
        case .connection(let connection, let id): connection.cancelBlockingCall(id)
        case .listener(let listener, let id): listener.cancelBlockingCall(id)
        }
    }
}

/// How a handle belongs to an `Inet.serverStart` server.
enum ServerLink: Sendable {
    /// The server handle.
    case runs(LegacyServer)
    /// A client the server accepted.
    case clientOf(LegacyServer)
}

/// What a handle stands for, who owns it, and the objects that must live as long as it does.
final class HandleEntry: @unchecked Sendable {
    // Safe: `kind` and `freeThread` are set before the entry is published and never change;
    // everything else is behind `state`'s lock.
    enum Kind {
        case events(EventConnection, HandleForwarder)
        case blocking(Connection)
        /// A listening socket; `accepted` holds what an `asyncListen` handle accepted ahead.
        case listener(Listener, AcceptQueue?)
    }

    struct State {
        var owner: UInt32
        /// Bytes `readLine` read past the end of its line; `read` returns them first.
        var lineBuffer: [UInt8] = []
        /// The blocking call in progress, if any (`isBlocking`, `cancel`, `getStatus`).
        var busy: Busy?
    }

    /// A blocking call's stages. `cancel` before the call reached the loop is remembered and
    /// sent once it has (a cancel sent earlier would reach the loop first and find nothing).
    enum Busy {
        case starting(status: InetStatus, cancelled: Bool)
        case waiting(ActiveCall, status: InetStatus)

        var status: InetStatus {
            switch self {
            case .starting(let status, _), .waiting(_, let status): status
            }
        }
    }

    let kind: Kind
    let freeThread: Bool
    /// The `Inet.serverStart` server this handle runs (its listener is `kind`'s) or is a client of.
    let server: ServerLink?
    let state: Locked<State>

    init(kind: Kind, freeThread: Bool, server: ServerLink? = nil) {
        self.kind = kind
        self.freeThread = freeThread
        self.server = server
        self.state = Locked(State(owner: cinet_thread_id()))
    }

    var owner: UInt32 { state.withLock { $0.owner } }

    /// Makes `thread` the owner; returns the previous one.
    func attach(to thread: UInt32) -> UInt32 {
        state.withLock { state in
            defer { state.owner = thread }
            return state.owner
        }
    }

    /// The loop whose thread delivers this handle's events and owns its socket.
    var loop: EventLoop {
        switch kind {
        case .events(let connection, _): connection.eventLoop
        case .blocking(let connection): connection.eventLoop
        case .listener(let listener, _): listener.eventLoop
        }
    }

    /// Runs a blocking call registered as the handle's busy call (so `cancel` can end it),
    /// reporting `status` meanwhile. `body` calls `submitted` once its operation is queued on the
    /// loop. One at a time: a second call while one blocks is refused, as the original refused
    /// another call during a blocking ReadLine.
    func blockingCall<T>(
        _ status: InetStatus, _ call: ActiveCall,
        _ body: (_ submitted: () -> Void) throws(InetError) -> T
    ) throws(InetError) -> T {
        let busy = state.withLock { s -> Bool in
            if s.busy != nil { return true }
            s.busy = .starting(status: status, cancelled: false)
            return false
        }
        if busy { throw InetError(.inProgress, "another blocking call is in progress on this handle") }
        if case .clientOf(let server)? = server { server.passLock() }  // InetServerLock
        defer { state.withLock { $0.busy = nil } }
        return try body {
            let cancelled = state.withLock { s -> Bool in
                defer { s.busy = .waiting(call, status: status) }
                if case .starting(_, true)? = s.busy { return true }
                return false
            }
            if cancelled { call.cancel() }  // queued behind the operation: it finds it
        }
    }

    /// `Inet.cancel`: ends the blocking call in progress, now or as soon as it has reached the loop.
    func cancelBlockingCall() {
        let call = state.withLock { s -> ActiveCall? in
            switch s.busy {
            case .starting(let status, _)?:
                s.busy = .starting(status: status, cancelled: true)
                return nil
            case .waiting(let call, _)?: return call
            case nil: return nil
            }
        }
        call?.cancel()
    }

    /// True while a blocking call is in progress.
    var isBlocking: Bool { state.withLock { $0.busy != nil } }
}

/// Every live handle of the process.
enum HandleTable {
    private static let entries = Locked<[UInt: HandleEntry]>([:])
    private static let counter = Atomic<UInt>(0x1000)

    /// A handle number never issued before.
    static func allocate() -> InetHandle {
        InetHandle(rawValue: counter.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    static func publish(_ handle: InetHandle, _ entry: HandleEntry) {
        entries.withLock { $0[handle.rawValue] = entry }
    }

    static func remove(_ handle: InetHandle) -> HandleEntry? {
        entries.withLock { $0.removeValue(forKey: handle.rawValue) }
    }

    static func removeAll() -> [HandleEntry] {
        entries.withLock { table in
            defer { table = [:] }
            return Array(table.values)
        }
    }

    /// The entry for `handle`, whoever asks (for `attachThread`, which moves ownership).
    static func find(_ handle: InetHandle) throws(InetError) -> HandleEntry {
        guard let entry = entries.withLock({ $0[handle.rawValue] }) else {
            throw InetError(
                .invalidHandle, "handle \(handle) is not a live handle (never issued, or already disconnected)")
        }
        return entry
    }

    /// The entry for `handle`, if the calling thread may use it: its owner, any thread with
    /// `.freeThread`, or the handle's own loop thread (event callbacks, as a window procedure
    /// runs on the window's thread).
    static func lookup(_ handle: InetHandle) throws(InetError) -> HandleEntry {
        let entry = try find(handle)
        let me = cinet_thread_id()
        if !entry.freeThread, entry.owner != me, !entry.loop.inEventLoop {
            throw InetError(
                .notHandleOwner,
                "handle \(handle) belongs to thread \(entry.owner), not to this thread (\(me)); use attachThread or .freeThread"
            )
        }
        return entry
    }

    static var count: Int { entries.withLock { $0.count } }

    /// True while `handle` is issued and not disconnected.
    static func isLive(_ handle: InetHandle) -> Bool { entries.withLock { $0[handle.rawValue] != nil } }

    /// The entry, for tests that look at a handle's buffers.
    static func lookupForTesting(_ handle: InetHandle) -> HandleEntry { try! find(handle) }
}

/// Forwards one connection's events to a legacy adapter and to the per-event callbacks
/// registered with `Inet.registerEvent`, with the handle it was issued under (known before the
/// connect starts, so even the first event carries it).
final class HandleForwarder: ConnectionDelegate, @unchecked Sendable {
    // Safe: `handle` is immutable; the sinks are behind a lock (enableEvents and registerEvent
    // may change them from the owner's thread while the loop delivers).
    let handle: InetHandle
    private struct Sinks {
        var adapter: LegacyEventAdapter?
        var callbacks: [UInt16: (InetEventProc, UInt)] = [:]
        var sawDisconnect = false
    }
    private let sinks: Locked<Sinks>

    init(handle: InetHandle, adapter: LegacyEventAdapter?) {
        self.handle = handle
        self.sinks = Locked(Sinks(adapter: adapter))
    }

    /// True once the peer's disconnect was reported (`getStatus`).
    var sawDisconnect: Bool { sinks.withLock { $0.sawDisconnect } }

    /// Where messages go now.
    var adapter: LegacyEventAdapter? { sinks.withLock { $0.adapter } }

    /// Sends later events to `adapter` (`InetEnableEvents` with a new window and message).
    func redirect(to adapter: LegacyEventAdapter) { sinks.withLock { $0.adapter = adapter } }

    /// Registers (or with nil removes) the callback for `event`.
    func register(_ event: InetEvent, _ callback: InetEventProc?, _ param: UInt) {
        sinks.withLock { $0.callbacks[event.rawValue] = callback.map { ($0, param) } }
    }

    /// Drops the messages of this handle still waiting in its adapter's queue; returns their events.
    @discardableResult
    func purgeQueued() -> [InetEvent] {
        guard case .queue(let queue)? = sinks.withLock({ $0.adapter?.sink }) else { return [] }
        return queue.purge(handle: handle)
    }

    func post(_ event: InetEvent, _ error: InetError?) {
        let (adapter, callback) = sinks.withLock { s in
            if event == .disconnect { s.sawDisconnect = true }
            return (s.adapter, s.callbacks[event.rawValue])
        }
        if let (proc, param) = callback { proc(handle, UInt32(event.rawValue), error?.code.legacyCode ?? 0, param) }
        adapter?.post(handle, event, error)
    }

    func connectionDidConnect(_ connection: EventConnection, error: InetError?) { post(.connect, error) }
    func connectionCanRead(_ connection: EventConnection) { post(.read, nil) }
    func connectionCanWrite(_ connection: EventConnection) { post(.write, nil) }
    func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) { post(.disconnect, error) }
}
