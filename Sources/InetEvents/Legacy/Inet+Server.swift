import CInetLinux
import InetCore

/// The server side of the original API: `InetListen[Ex]`, `InetAccept`, `InetAsyncListen[Ex]`,
/// `InetAsyncAccept`. Accepted clients are ordinary handles (read, write, readLine, events,
/// attachThread, disconnect), owned by the thread that accepted them.
extension Inet {
    /// `InetListen`: a listening handle on `localAddress` (nil or "": every IPv4 interface,
    /// "::" IPv6 and IPv4) and `localPort`, with the system's maximum backlog and no options.
    public static func listen(_ localAddress: String?, _ localPort: UInt32) -> InetHandle {
        listenEx(localAddress, localPort, 0, INET_OPTION_NONE)
    }

    /// `InetListenEx`: ``listen(_:_:)`` with a backlog (0: the system maximum) and options —
    /// `INET_OPTION_REUSEADDRESS` (bind while old connections are in TIME_WAIT),
    /// `INET_OPTION_EXCLUSIVE` (no other socket may bind the port; Linux's default),
    /// `INET_OPTION_NOINHERIT`, `INET_OPTION_FREETHREAD`, and `KEEPALIVE`/`NODELAY` for the
    /// accepted clients. Port 0 picks a free port (an Inet extension; see ``getLocalAddress(_:_:_:)``).
    public static func listenEx(
        _ localAddress: String?, _ localPort: UInt32, _ backlog: UInt32, _ options: UInt32
    ) -> InetHandle {
        handleCall { () throws(InetError) -> InetHandle in
            let listener = try makeListener(localAddress, localPort, backlog, options)
            let handle = HandleTable.allocate()
            HandleTable.publish(
                handle,
                HandleEntry(
                    kind: .listener(listener, nil), freeThread: InetOptions(rawValue: options).contains(.freeThread)))
            return handle
        }
    }

    /// `InetAsyncListen`: a listening handle that posts ACCEPT to `adapter` for each client;
    /// take it with ``asyncAccept(_:_:)`` (events) or ``accept(_:_:)`` (blocking handle).
    public static func asyncListen(
        _ localAddress: String?, _ localPort: UInt32, _ adapter: LegacyEventAdapter
    ) -> InetHandle {
        asyncListenEx(localAddress, localPort, 0, INET_OPTION_NONE, adapter)
    }

    /// `InetAsyncListenEx`: ``asyncListen(_:_:_:)`` with a backlog and options (as ``listenEx(_:_:_:_:)``).
    public static func asyncListenEx(
        _ localAddress: String?, _ localPort: UInt32, _ backlog: UInt32, _ options: UInt32,
        _ adapter: LegacyEventAdapter
    ) -> InetHandle {
        handleCall { () throws(InetError) -> InetHandle in
            try adapter.validate()
            let listener = try makeListener(localAddress, localPort, backlog, options)
            let handle = HandleTable.allocate()
            let queue = AcceptQueue(forwarder: HandleForwarder(handle: handle, adapter: adapter))
            let entry = HandleEntry(
                kind: .listener(listener, queue), freeThread: InetOptions(rawValue: options).contains(.freeThread))
            HandleTable.publish(handle, entry)
            do throws(InetError) {
                try listener.acceptAll { result in
                    switch result {
                    case .success(let connection): queue.accepted(connection)
                    case .failure(let error): queue.failed(error)
                    }
                }
            } catch {
                _ = HandleTable.remove(handle)
                close(entry)
                throw error
            }
            return handle
        }
    }

    /// `InetAccept`: the next client of a listening handle, as a blocking handle owned by the
    /// calling thread. Waits up to `timeout` seconds (0: no limit) on a ``listenEx(_:_:_:_:)``
    /// handle; on an ``asyncListen(_:_:_:)`` handle it takes a client an ACCEPT announced, or
    /// fails with would-block (10035). ``cancel(_:)`` from another thread ends the wait.
    public static func accept(_ listener: InetHandle, _ timeout: UInt32) -> InetHandle {
        handleCall { () throws(InetError) -> InetHandle in
            let entry = try HandleTable.lookup(listener)
            guard case .listener(let socket, let queue) = entry.kind else {
                throw InetError(.invalidHandle, "handle \(listener) is not a listening handle")
            }
            let connection: Connection
            if let queue {
                guard let next = queue.next() else {
                    throw InetError(.wouldBlock, "no client is waiting; wait for the accept event")
                }
                connection = next
            } else {
                let id = socket.makeCallID()
                connection = try entry.blockingCall(.accepting, .listener(socket, id)) {
                    (submitted) throws(InetError) -> Connection in
                    try socket.blocking.accept(
                        timeout: timeout == 0 ? nil : .seconds(Int64(timeout)), call: id, submitted: submitted)
                }
            }
            let handle = HandleTable.allocate()
            HandleTable.publish(handle, HandleEntry(kind: .blocking(connection), freeThread: entry.freeThread))
            return handle
        }
    }

    /// `InetAsyncAccept`: takes a client an ACCEPT event announced, as an event-driven handle
    /// whose events go to `adapter` (nil: the listening handle's own adapter). Its first event
    /// is connect (no error), then write and read as for ``asyncConnect(_:_:_:_:_:_:_:)``.
    public static func asyncAccept(_ listener: InetHandle, _ adapter: LegacyEventAdapter? = nil) -> InetHandle {
        handleCall { () throws(InetError) -> InetHandle in
            let entry = try HandleTable.lookup(listener)
            guard case .listener(_, let queue?) = entry.kind else {
                throw InetError(.invalidHandle, "handle \(listener) is not a handle made by asyncListen")
            }
            try adapter?.validate()
            guard let connection = queue.next() else {
                throw InetError(.wouldBlock, "no client is waiting; wait for the accept event")
            }
            let handle = HandleTable.allocate()
            let forwarder = HandleForwarder(handle: handle, adapter: adapter ?? queue.forwarder.adapter)
            let events = try runOnLoop(connection.eventLoop, "asyncAccept") {
                () -> Result<EventConnection, InetError> in
                let events = EventConnection.adopting(connection)
                events.start(delegate: forwarder)
                return .success(events)
            }
            HandleTable.publish(handle, HandleEntry(kind: .events(events, forwarder), freeThread: entry.freeThread))
            return handle
        }
    }

    /// `InetGetLocalAddress`: the local address and port of a handle (a listener's real port
    /// after port 0). Returns 0, or ``error``.
    public static func getLocalAddress(_ handle: InetHandle, _ address: inout String, _ port: inout UInt32) -> Int32 {
        var found: SocketAddress?
        let result = countCall { () throws(InetError) -> Int in
            let entry = try HandleTable.lookup(handle)
            switch entry.kind {
            case .listener(let listener, _): found = listener.localAddress
            default: found = try anyConnection(entry).localAddress
            }
            return 0
        }
        if let found {
            address = found.ipAddress
            port = UInt32(found.port)
        }
        return result
    }

    private static func makeListener(
        _ localAddress: String?, _ localPort: UInt32, _ backlog: UInt32, _ options: UInt32
    ) throws(InetError) -> Listener {
        guard localPort <= 65535 else { throw InetError(.invalidPort, "nLocalPort must be 0…65535; got \(localPort)") }
        var listenOptions = InetOptions(rawValue: options)
        listenOptions.insert(.noInherit)
        // The legacy-only bits are not socket options of the listener itself.
        let socketOptions = listenOptions.subtracting([.freeThread, .reuseAddress, .exclusive])
        return try Listener(
            address: localAddress, port: Int(localPort), backlog: Int(backlog), options: socketOptions,
            reuseAddress: listenOptions.contains(.reuseAddress))
    }
}
