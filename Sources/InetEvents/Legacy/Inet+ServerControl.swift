import CInetLinux
import InetCore

/// The rest of the `InetServerStart` family: `InetServerStop`, `InetServerSuspend`,
/// `InetServerResume`, `InetServerThrottle`, `InetServerLock`/`InetServerUnlock`,
/// `InetSetClientPriority`/`InetGetClientPriority`, `InetGetServerThreadId` and the client list.
/// Any thread may call them — a client's callback included — with a handle from
/// ``serverStart(_:_:_:_:_:_:_:_:_:_:)`` (not from `listen`/`listenEx`, as the original).
extension Inet {
    /// `InetServerStop`: stops accepting, disconnects every client (no DISCONNECT callback for
    /// them) and waits until the server thread and every client thread have ended — except the
    /// caller's own when a callback stops its server: that thread ends when its callback
    /// returns. The handle is invalid afterwards. Not on an event loop thread (`wouldDeadlock`).
    public static func serverStop(_ server: InetHandle) -> Bool {
        boolCall { () throws(InetError) in
            let legacy = try runningServer(server)
            if EventLoop.current != nil {
                throw InetError(
                    .wouldDeadlock,
                    "InetServerStop waits for the server's threads: call it from a worker thread, not an event loop")
            }
            if let entry = HandleTable.remove(server) { close(entry) }
            legacy.waitForThreads()
        }
    }

    /// `InetServerSuspend`: the server stops accepting; new clients wait in the listen backlog
    /// (their connects complete; the kernel drops what exceeds the backlog) until
    /// ``serverResume(_:)``. Connected clients are unaffected.
    public static func serverSuspend(_ server: InetHandle) -> Bool {
        boolCall { () throws(InetError) in try runningServer(server).setSuspended(true) }
    }

    /// `InetServerResume`: accepting again, the waiting clients first.
    public static func serverResume(_ server: InetHandle) -> Bool {
        boolCall { () throws(InetError) in try runningServer(server).setSuspended(false) }
    }

    /// `InetServerThrottle`: at most `maxClients` clients (0: no limit), at most
    /// `maxClientsPerAddress` from one IP address (0: no limit), and at least `connectionRate`
    /// milliseconds between two accepts (0: no limit; 250 accepts four a second). A client over a
    /// limit is closed as soon as it is accepted; connected clients stay even when a new limit
    /// is below their count. `UInt32.max` (the class API's -1) leaves a value as it is.
    public static func serverThrottle(
        _ server: InetHandle, _ maxClients: UInt32, _ maxClientsPerAddress: UInt32,
        _ connectionRate: UInt32
    ) -> Bool {
        boolCall { () throws(InetError) in
            let unchanged = UInt32.max
            try runningServer(server).throttle(
                maxClients: maxClients == unchanged ? nil : Int(maxClients),
                maxClientsPerAddress: maxClientsPerAddress == unchanged ? nil : Int(maxClientsPerAddress),
                acceptInterval: connectionRate == unchanged ? nil : .milliseconds(Int64(connectionRate)))
        }
    }

    /// `InetServerLock`: until the matching ``serverUnlock(_:)``, only the calling thread works
    /// with the server: its other threads wait at their next blocking call on a client handle
    /// and before their next callback. Counted (each lock needs an unlock). Waits while another
    /// thread holds the lock; fails with `wouldDeadlock` while another server is locked (one
    /// server at a time, as the original).
    public static func serverLock(_ server: InetHandle) -> Bool {
        boolCall { () throws(InetError) in try runningServer(server).lock() }
    }

    /// `InetServerUnlock`: undoes one ``serverLock(_:)``; only the locking thread may call it.
    public static func serverUnlock(_ server: InetHandle) -> Bool {
        boolCall { () throws(InetError) in try runningServer(server).unlock() }
    }

    /// `InetGetServerThreadId`: the id of the thread that accepts for the server (as
    /// ``currentThreadID`` gives ids); 0 on failure.
    public static func getServerThreadId(_ server: InetHandle) -> UInt32 {
        do throws(InetError) {
            let id = try runningServer(server).serverThreadID
            cinet_set_last_error(0)
            return id
        } catch {
            cinet_set_last_error(error.legacyCode)
            return 0
        }
    }

    /// The server's connected clients (Inet's function; the original enumerated them through
    /// its class API): fills `clients`, oldest first, and returns the count, or ``error``.
    public static func enumServerClients(_ server: InetHandle, _ clients: inout [InetHandle]) -> Int32 {
        var found: [InetHandle] = []
        let count = countCall { () throws(InetError) -> Int in
            found = try runningServer(server).clientHandles
            return found.count
        }
        clients = found
        return count
    }

    /// `InetSetClientPriority`: records `priority` (`INET_PRIORITY_*`) for a client of an
    /// `Inet.serverStart` server and returns the previous one, or ``error``. Recorded and
    /// reported, not applied to scheduling (see ``InetPriority``).
    public static func setClientPriority(_ client: InetHandle, _ priority: UInt32) -> Int32 {
        countCall { () throws(InetError) -> Int in
            guard let value = InetPriority(rawValue: priority) else {
                throw InetError(
                    .invalidParameter,
                    "priority must be one of INET_PRIORITY_NORMAL, _BACKGROUND, _LOW, _HIGH, _CRITICAL; got \(priority)"
                )
            }
            return Int(try serverOf(client).setPriority(value, of: client).rawValue)
        }
    }

    /// `InetGetClientPriority`: a server client's priority, or `INET_PRIORITY_INVALID`.
    public static func getClientPriority(_ client: InetHandle) -> UInt32 {
        do throws(InetError) {
            let priority = try serverOf(client).priority(of: client)
            cinet_set_last_error(0)
            return priority.rawValue
        } catch {
            cinet_set_last_error(error.legacyCode)
            return INET_PRIORITY_INVALID
        }
    }

    private static func runningServer(_ handle: InetHandle) throws(InetError) -> LegacyServer {
        guard case .runs(let server)? = try HandleTable.find(handle).server else {
            throw InetError(
                .invalidHandle,
                "handle \(handle) is not a server handle: use the handle Inet.serverStart returned (listen handles have no server controls)"
            )
        }
        return server
    }

    private static func serverOf(_ client: InetHandle) throws(InetError) -> LegacyServer {
        guard case .clientOf(let server)? = try HandleTable.find(client).server else {
            throw InetError(.invalidHandle, "handle \(client) is not a client of an Inet.serverStart server")
        }
        return server
    }
}
