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

/// What a handle stands for, who owns it, and the objects that must live as long as it does.
final class HandleEntry: @unchecked Sendable {
    // Safe: `owner` is behind a lock; everything else is set once before the entry is published.
    enum Kind {
        case events(EventConnection, HandleForwarder)
        case blocking(Connection)
    }

    let kind: Kind
    let freeThread: Bool
    private let ownerThread: Locked<UInt32>

    init(kind: Kind, freeThread: Bool) {
        self.kind = kind
        self.freeThread = freeThread
        self.ownerThread = Locked(cinet_thread_id())
    }

    var owner: UInt32 { ownerThread.withLock { $0 } }

    /// Makes `thread` the owner; returns the previous one.
    func attach(to thread: UInt32) -> UInt32 {
        ownerThread.withLock { owner in
            defer { owner = thread }
            return owner
        }
    }
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

    /// The entry for `handle`, if the calling thread may use it.
    static func lookup(_ handle: InetHandle) throws(InetError) -> HandleEntry {
        guard let entry = entries.withLock({ $0[handle.rawValue] }) else {
            throw InetError(.invalidHandle, "handle \(handle) is not a live handle (never issued, or already disconnected)")
        }
        let me = cinet_thread_id()
        if !entry.freeThread, entry.owner != me {
            throw InetError(.notHandleOwner,
                            "handle \(handle) belongs to thread \(entry.owner), not to this thread (\(me)); use attachThread or .freeThread")
        }
        return entry
    }

    static var count: Int { entries.withLock { $0.count } }
}

/// Forwards one connection's events to a legacy adapter with the handle it was issued under
/// (known before the connect starts, so even the first event carries it).
final class HandleForwarder: ConnectionDelegate, @unchecked Sendable {
    // Safe: `handle` is immutable; the adapter is behind a lock (enableEvents may replace it).
    let handle: InetHandle
    private let current: Locked<LegacyEventAdapter>

    init(handle: InetHandle, adapter: LegacyEventAdapter) {
        self.handle = handle
        self.current = Locked(adapter)
    }

    /// Sends later events to `adapter` (`InetEnableEvents` with a new window and message).
    func redirect(to adapter: LegacyEventAdapter) { current.withLock { $0 = adapter } }

    private func post(_ event: InetEvent, _ error: InetError?) { current.withLock { $0 }.post(handle, event, error) }

    func connectionDidConnect(_ connection: EventConnection, error: InetError?) { post(.connect, error) }
    func connectionCanRead(_ connection: EventConnection) { post(.read, nil) }
    func connectionCanWrite(_ connection: EventConnection) { post(.write, nil) }
    func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) { post(.disconnect, error) }
}
