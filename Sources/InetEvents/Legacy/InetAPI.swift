import CInetLinux
import Glibc
public import InetCore
public import InetTLS

/// The original `Inet*` functions, one Swift function each, for code ported from the C API.
///
/// Same parameters in Swift types; results as the original returned them (a handle or
/// ``InetHandle/invalid``, a count or ``error`` = -1, a Bool); every call sets the calling
/// thread's last error (0 on success), read with ``getLastError()``. Handles belong to the
/// thread that made them unless `.freeThread` was given; ``attachThread(_:_:)`` moves them.
public enum Inet {
    /// `INET_ERROR`.
    public static let error: Int32 = -1

    // MARK: life cycle

    /// `InetInitialize`: nothing to load on Linux; the key is accepted and ignored. Returns true.
    @discardableResult
    public static func initialize(_ licenseKey: String? = nil) -> Bool {
        cinet_set_last_error(0)
        return true
    }

    /// `InetUninitialize`: closes every handle of the process silently (no events follow).
    public static func uninitialize() {
        for entry in HandleTable.removeAll() { close(entry) }
        cinet_set_last_error(0)
    }

    // MARK: connect

    /// `InetConnect`: a blocking connect; the handle's reads and writes block (up to `timeout` seconds).
    public static func connect(
        _ host: String, _ port: UInt32, _ proto: InetProtocol, _ timeout: UInt32, _ options: UInt32,
        _ credentials: SecurityCredentials?
    ) -> InetHandle {
        connectEx(host, port, proto, timeout, options, nil, 0, credentials)
    }

    /// `InetConnectEx`: ``connect(_:_:_:_:_:_:)`` with a local address and port.
    public static func connectEx(
        _ host: String, _ port: UInt32, _ proto: InetProtocol, _ timeout: UInt32, _ options: UInt32,
        _ localAddress: String?, _ localPort: UInt32, _ credentials: SecurityCredentials?
    ) -> InetHandle {
        handleCall { () throws(InetError) -> InetHandle in
            let connector = try makeConnector(host, port, proto, timeout, options, localAddress, localPort, credentials)
            let connection = try connector.blocking.connect()
            let handle = HandleTable.allocate()
            HandleTable.publish(
                handle, HandleEntry(kind: .blocking(connection), freeThread: connector.options.contains(.freeThread)))
            return handle
        }
    }

    /// `InetAsyncConnect`: returns at once; events (connect first) go to `adapter`.
    public static func asyncConnect(
        _ host: String, _ port: UInt32, _ proto: InetProtocol, _ timeout: UInt32, _ options: UInt32,
        _ credentials: SecurityCredentials?, _ adapter: LegacyEventAdapter
    ) -> InetHandle {
        asyncConnectEx(host, port, proto, timeout, options, nil, 0, credentials, adapter)
    }

    /// `InetAsyncConnectEx`: returns at once (the connect has started); events go to `adapter`.
    public static func asyncConnectEx(
        _ host: String, _ port: UInt32, _ proto: InetProtocol, _ timeout: UInt32, _ options: UInt32,
        _ localAddress: String?, _ localPort: UInt32, _ credentials: SecurityCredentials?,
        _ adapter: LegacyEventAdapter
    ) -> InetHandle {
        handleCall { () throws(InetError) -> InetHandle in
            try adapter.validate()
            let connector = try makeConnector(host, port, proto, timeout, options, localAddress, localPort, credentials)
            let handle = HandleTable.allocate()
            let forwarder = HandleForwarder(handle: handle, adapter: adapter)
            let connection = try connector.connect(delegate: forwarder)
            HandleTable.publish(
                handle,
                HandleEntry(kind: .events(connection, forwarder), freeThread: connector.options.contains(.freeThread)))
            return handle
        }
    }

    static func makeConnector(
        _ host: String, _ port: UInt32, _ proto: InetProtocol, _ timeout: UInt32, _ options: UInt32,
        _ localAddress: String?, _ localPort: UInt32, _ credentials: SecurityCredentials?
    ) throws(InetError) -> Connector {
        guard timeout > 0 else { throw InetError(.invalidTimeout, "nTimeout must be at least 1 second; got 0") }
        var connector = Connector(
            legacyHost: host, port: port, protocol: proto, timeoutSeconds: timeout, options: options,
            localAddress: localAddress, localPort: localPort)
        connector.credentials = credentials
        return connector
    }

    // MARK: I/O

    /// `InetRead`: bytes read; 0 when the peer closed and everything was read; ``error`` on failure
    /// (10035 would-block on an event-driven handle with nothing to read). Bytes that
    /// ``readLine(_:_:_:)`` read past its line come first. An empty buffer is `invalidParameter`.
    public static func read(_ handle: InetHandle, _ buffer: UnsafeMutableRawBufferPointer) -> Int32 {
        countCall { () throws(InetError) -> Int in
            guard buffer.count > 0 else {
                throw InetError(.invalidParameter, "the buffer is empty: cbBuffer must be at least 1")
            }
            let entry = try HandleTable.lookup(handle)
            let buffered = entry.state.withLock { s -> Int in
                let n = min(s.lineBuffer.count, buffer.count)
                guard n > 0 else { return 0 }
                s.lineBuffer.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                s.lineBuffer.removeFirst(n)
                return n
            }
            if buffered > 0 { return buffered }
            switch entry.kind {
            case .events(let connection, _):
                switch try connection.read(into: buffer) {
                case .bytes(let n): return n
                case .endOfStream: return 0
                case .wouldBlock: throw InetError(.wouldBlock, "no data to read now; wait for the read event")
                }
            case .blocking(let connection):
                let bytes = try blockingRead(entry, connection, maxBytes: buffer.count)
                bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
                return bytes.count
            case .listener:
                throw InetError(
                    .invalidHandle, "handle \(handle) is a listening handle; accept a client and read from its handle")
            }
        }
    }

    /// A blocking read on `connection` as the handle's active call (``cancel(_:)`` ends it).
    static func blockingRead(_ entry: HandleEntry, _ connection: Connection, maxBytes: Int) throws(InetError) -> [UInt8]
    {
        let id = connection.makeCallID()
        return try entry.blockingCall(.reading, .connection(connection, id)) {
            (submitted) throws(InetError) -> [UInt8] in
            try connection.blocking.read(maxBytes: maxBytes, timeout: nil, call: id, submitted: submitted)
        }
    }

    /// A blocking write of all of `bytes` as the handle's active call.
    static func blockingWrite(_ entry: HandleEntry, _ connection: Connection, _ bytes: [UInt8]) throws(InetError) {
        let id = connection.makeCallID()
        try entry.blockingCall(.writing, .connection(connection, id)) { (submitted) throws(InetError) in
            try connection.blocking.write(bytes, timeout: nil, call: id, submitted: submitted)
        }
    }

    /// `InetWrite`: bytes written (fewer than asked is a partial write; send the rest after the
    /// write event); ``error`` on failure (10035 would-block on an event-driven handle).
    public static func write(_ handle: InetHandle, _ buffer: UnsafeRawBufferPointer) -> Int32 {
        countCall { () throws(InetError) -> Int in
            let entry = try HandleTable.lookup(handle)
            switch entry.kind {
            case .events(let connection, _):
                switch try connection.write(buffer) {
                case .wrote(let n): return n
                case .wouldBlock:
                    throw InetError(.wouldBlock, "the socket cannot take data now; wait for the write event")
                }
            case .blocking(let connection):
                try blockingWrite(entry, connection, Array(buffer))
                return buffer.count
            case .listener:
                throw InetError(
                    .invalidHandle, "handle \(handle) is a listening handle; accept a client and write to its handle")
            }
        }
    }

    /// `InetPeek`: copies waiting bytes without consuming them (nil buffer: just count, up to
    /// 64 KiB); 0 when none are waiting. Bytes the handle holds (`readLine`'s, a server client's
    /// READ data) come first, as `read` would return them.
    public static func peek(_ handle: InetHandle, _ buffer: UnsafeMutableRawBufferPointer?) -> Int32 {
        countCall { () throws(InetError) -> Int in
            let entry = try HandleTable.lookup(handle)
            let connection = try anyConnection(entry)
            let target = buffer ?? UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
            defer { if buffer == nil { target.deallocate() } }
            let held = entry.state.withLock { s -> Int in
                let n = min(s.lineBuffer.count, target.count)
                s.lineBuffer.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                return n
            }
            if held == target.count { return held }
            // the caller waits while the loop uses it
            let raw = UnsafeTransfer(UnsafeMutableRawBufferPointer(rebasing: target[held...]))
            do throws(InetError) {
                return try held + runOnLoop(connection.eventLoop, "peek") { connection.tryPeekOnLoop(into: raw.value) }
            } catch {
                if held > 0 { return held }  // what the handle holds is there whatever the socket says
                throw error
            }
        }
    }

    /// `InetIsReadable`: true when a read would not block, waiting at most `timeoutMilliseconds`
    /// (0 polls).
    public static func isReadable(_ handle: InetHandle, _ timeoutMilliseconds: UInt32) -> Bool {
        ready(handle, Int16(POLLIN), timeoutMilliseconds, checkBuffered: true)
    }

    /// `InetIsWritable`: true when the send buffer has room, waiting at most `timeoutMilliseconds`.
    public static func isWritable(_ handle: InetHandle, _ timeoutMilliseconds: UInt32) -> Bool {
        ready(handle, Int16(POLLOUT), timeoutMilliseconds, checkBuffered: false)
    }

    private static func ready(
        _ handle: InetHandle, _ events: Int16, _ milliseconds: UInt32, checkBuffered: Bool
    ) -> Bool {
        let result: Result<Bool, InetError> = {
            do throws(InetError) {
                let entry = try HandleTable.lookup(handle)
                // the handle holds bytes
                if checkBuffered, entry.state.withLock({ !$0.lineBuffer.isEmpty }) { return .success(true) }
                let connection = try anyConnection(entry)
                let (fd, buffered) = try runOnLoop(connection.eventLoop, "isReadable") {
                    .success((connection.descriptorOnLoop, checkBuffered && connection.hasInputWaitingOnLoop))
                }
                if buffered { return .success(true) }
                guard let fd else { throw InetError(.connectionClosed, "handle \(handle) is closed") }
                var pfd = pollfd(fd: fd, events: events, revents: 0)
                return .success(poll(&pfd, 1, Int32(clamping: milliseconds)) > 0)
            } catch {
                return .failure(error)
            }
        }()
        switch result {
        case .success(let ready):
            cinet_set_last_error(0)
            return ready
        case .failure(let error):
            cinet_set_last_error(error.legacyCode)
            return false
        }
    }

    /// `InetShutdown`: 0 stops receiving, 1 stops sending (FIN after queued bytes), 2 both.
    public static func shutdown(_ handle: InetHandle, _ how: Int32) -> Int32 {
        countCall { () throws(InetError) -> Int in
            guard (0...2).contains(how) else { throw InetError(.invalidParameter, "how must be 0, 1 or 2; got \(how)") }
            let connection = try anyConnection(try HandleTable.lookup(handle))
            try runOnLoop(connection.eventLoop, "shutdown") {
                if how == 0 || how == 2 { connection.shutdownOnLoop(.input) }
                if how == 1 || how == 2 { connection.shutdownOnLoop(.output) }
                return .success(())
            }
            return 0
        }
    }

    /// `InetDisconnect`: closes the handle (queued bytes are still sent); it is invalid afterwards.
    /// No disconnect event follows a local disconnect, and messages of the handle still queued
    /// are dropped. A blocking call in progress on it (another thread's) ends with "operation
    /// canceled". On a listening handle, clients already accepted stay connected.
    public static func disconnect(_ handle: InetHandle) -> Int32 {
        countCall { () throws(InetError) -> Int in
            _ = try HandleTable.lookup(handle)
            if let entry = HandleTable.remove(handle) { close(entry) }
            return 0
        }
    }

    static func close(_ entry: HandleEntry) {
        entry.cancelBlockingCall()
        switch entry.kind {
        case .events(let connection, let forwarder):
            try? connection.close()
            forwarder.purgeQueued()
        case .blocking(let connection):
            connection.eventLoop.execute { connection.closeOnLoop() }
        case .listener(let listener, let accepted):
            accepted?.close()
            if case .runs(let server)? = entry.server { server.stop() }
            // Closed when disconnect returns (the port is free), as the original's close was.
            if listener.eventLoop.inEventLoop { listener.closeOnLoop() } else { try? listener.blocking.close() }
        }
    }

    // MARK: events

    /// `InetEnableEvents`: resumes events on an event-driven handle (re-firing read when data
    /// waits). Handles made by the blocking connects cannot switch to events.
    public static func enableEvents(_ handle: InetHandle) -> Int32 {
        countCall { () throws(InetError) -> Int in
            guard case .events(let connection, _) = try HandleTable.lookup(handle).kind else {
                throw InetError(
                    .invalidParameter, "handle \(handle) was made by a blocking connect; use asyncConnect for events")
            }
            try connection.enableEvents()
            return 0
        }
    }

    /// `InetEnableEvents(h, hWnd, uMsg)`: resumes events, now delivered through `adapter`.
    public static func enableEvents(_ handle: InetHandle, _ adapter: LegacyEventAdapter) -> Int32 {
        countCall { () throws(InetError) -> Int in
            guard case .events(let connection, let forwarder) = try HandleTable.lookup(handle).kind else {
                throw InetError(
                    .invalidParameter, "handle \(handle) was made by a blocking connect; use asyncConnect for events")
            }
            try adapter.validate()
            forwarder.redirect(to: adapter)
            try connection.enableEvents()
            return 0
        }
    }

    /// `InetDisableEvents`: stops events; when it returns none is delivered, and the handle's
    /// messages still waiting in a ``MessageQueue`` are dropped (stricter than the original,
    /// which could still deliver queued messages).
    public static func disableEvents(_ handle: InetHandle) -> Int32 {
        countCall { () throws(InetError) -> Int in
            guard case .events(let connection, let forwarder) = try HandleTable.lookup(handle).kind else { return 0 }
            try connection.disableEvents()
            // Dropped read/write messages fire again on enable (the re-arm rule needs them seen).
            let dropped = forwarder.purgeQueued()
            if dropped.contains(.read) || dropped.contains(.write) {
                try connection.redeliverDropped(read: dropped.contains(.read), write: dropped.contains(.write))
            }
            return 0
        }
    }

    // MARK: plumbing

    static func anyConnection(_ entry: HandleEntry) throws(InetError) -> Connection {
        switch entry.kind {
        case .blocking(let connection): return connection
        case .events(let events, _):
            guard let connection = events.connection else { throw InetError(.notConnected, "not connected yet") }
            return connection
        case .listener:
            throw InetError(.invalidHandle, "this is a listening handle; use the handle of an accepted client")
        }
    }

    static func handleCall(_ body: () throws(InetError) -> InetHandle) -> InetHandle {
        do throws(InetError) {
            let handle = try body()
            cinet_set_last_error(0)
            return handle
        } catch {
            cinet_set_last_error(error.legacyCode)
            return .invalid
        }
    }

    static func boolCall(_ body: () throws(InetError) -> Void) -> Bool {
        do throws(InetError) {
            try body()
            cinet_set_last_error(0)
            return true
        } catch {
            cinet_set_last_error(error.legacyCode)
            return false
        }
    }

    static func countCall(_ body: () throws(InetError) -> Int) -> Int32 {
        do throws(InetError) {
            let count = try body()
            cinet_set_last_error(0)
            return Int32(clamping: count)
        } catch {
            cinet_set_last_error(error.legacyCode)
            return Inet.error
        }
    }
}
