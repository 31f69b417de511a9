public import Dispatch
public import InetCore

/// A connection driven by events: made by ``InetCore/Connector/connect(delegate:queue:)``, reported to
/// a ``ConnectionDelegate``, used with non-blocking reads and writes.
///
/// The handle lives until it is closed (or its connect fails), even if the application drops it,
/// because events are still due; call ``close()`` to end it. On its loop thread (inside delegate
/// callbacks) every call is direct and allocation-free; from other threads it hops to the loop
/// and waits.
public final class EventConnection: @unchecked Sendable {
    // Safe: `dispatcher` and the connection are touched only on `eventLoop`; every public method
    // runs its work there (directly, or through runOnLoop).
    /// The loop that delivers this connection's events.
    public let eventLoop: EventLoop
    let dispatcher: EventDispatcher

    init(eventLoop: EventLoop, dispatcher: EventDispatcher) {
        self.eventLoop = eventLoop
        self.dispatcher = dispatcher
    }

    /// Reads what is there into `buffer` without waiting. On the loop thread (in callbacks) it
    /// is a direct call that allocates nothing.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InetError) -> TryReadResult {
        if eventLoop.inEventLoop { return try Self.read(dispatcher, buffer) }
        let (dispatcher, raw) = (self.dispatcher, UnsafeTransfer(buffer))
        return try runOnLoop(eventLoop, "read") {
            do throws(InetError) { return .success(try Self.read(dispatcher, raw.value)) } catch {
                return .failure(error)
            }
        }
    }

    private static func read(
        _ dispatcher: EventDispatcher, _ buffer: UnsafeMutableRawBufferPointer
    ) throws(InetError) -> TryReadResult {
        guard let connection = dispatcher.connection else {
            throw InetError(.notConnected, "not connected (wait for the connect event)")
        }
        let outcome = try connection.tryReadOnLoop(into: buffer)
        dispatcher.didRead(outcome, requested: buffer.count)
        return outcome
    }

    /// Writes what the socket takes now (a partial write returns fewer bytes), without waiting.
    /// On the loop thread it is a direct call that allocates nothing (plain TCP/UDP).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(InetError) -> TryWriteResult {
        if eventLoop.inEventLoop { return try Self.write(dispatcher, bytes) }
        let (dispatcher, raw) = (self.dispatcher, UnsafeTransfer(bytes))
        return try runOnLoop(eventLoop, "write") {
            do throws(InetError) { return .success(try Self.write(dispatcher, raw.value)) } catch {
                return .failure(error)
            }
        }
    }

    private static func write(
        _ dispatcher: EventDispatcher, _ bytes: UnsafeRawBufferPointer
    ) throws(InetError) -> TryWriteResult {
        guard let connection = dispatcher.connection else {
            throw InetError(.notConnected, "not connected (wait for the connect event)")
        }
        let outcome = try connection.tryWriteOnLoop(bytes)
        dispatcher.didWrite(outcome, offered: bytes.count)
        return outcome
    }

    /// Writes what the socket takes now of `bytes`.
    public func write(_ bytes: [UInt8]) throws(InetError) -> TryWriteResult {
        let result: Result<TryWriteResult, InetError> = bytes.withUnsafeBytes { raw in
            do throws(InetError) { return .success(try write(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Stops event delivery; when it returns, no event is being or will be delivered until
    /// ``enableEvents()``.
    public func disableEvents() throws(InetError) {
        let dispatcher = self.dispatcher
        try runOnLoop(eventLoop, "disableEvents") {
            dispatcher.setEnabled(false)
            return .success(())
        }
        // A callback already handed to the delegate's queue is dropped, or has returned.
        dispatcher.gate?.shut(wait: !eventLoop.inEventLoop)
    }

    /// True while events are delivered (not disabled, not closed).
    var eventsEnabled: Bool {
        let dispatcher = self.dispatcher
        let enabled = try? runOnLoop(eventLoop, "eventsEnabled") { () -> Result<Bool, InetError> in
            if case .enabled = dispatcher.lifecycle { return .success(true) }
            return .success(false)
        }
        return enabled ?? false
    }

    /// Read or write events already delivered were dropped before the application saw them
    /// (a purged message queue): they fire again when events are enabled.
    func redeliverDropped(read: Bool, write: Bool) throws(InetError) {
        let dispatcher = self.dispatcher
        try runOnLoop(eventLoop, "redeliver") {
            dispatcher.redeliver(read: read, write: write)
            return .success(())
        }
    }

    /// Resumes event delivery, re-firing a read event when data is waiting.
    public func enableEvents() throws(InetError) {
        let dispatcher = self.dispatcher
        dispatcher.gate?.reopen()
        try runOnLoop(eventLoop, "enableEvents") {
            dispatcher.setEnabled(true)
            return .success(())
        }
    }

    /// Closes the connection (queued bytes are still sent). No event follows a local close.
    public func close() throws(InetError) {
        if eventLoop.inEventLoop {
            Self.close(dispatcher)
            dispatcher.gate?.shut(wait: false)
            return
        }
        let dispatcher = self.dispatcher
        try runOnLoop(eventLoop, "close") {
            Self.close(dispatcher)
            return .success(())
        }
        dispatcher.gate?.shut(wait: true)
    }

    private static func close(_ dispatcher: EventDispatcher) {
        dispatcher.connection?.closeOnLoop()
        dispatcher.finish()
    }

    /// The connected connection's addresses and TLS facts, once connected (recorded at connect
    /// or accept; any thread, no hop).
    public var connection: Connection? { dispatcher.recorded }
}

extension EventConnection {
    /// An event handle for a connection accepted by a listener, already connected (events wait:
    /// no delegate yet, so ``connection`` answers before ``start(delegate:)``). Loop thread only.
    static func adopting(_ connection: Connection) -> EventConnection {
        assert(connection.eventLoop.inEventLoop, "must run on the event loop thread")
        let dispatcher = EventDispatcher()
        let handle = EventConnection(eventLoop: connection.eventLoop, dispatcher: dispatcher)
        dispatcher.loop = connection.eventLoop
        dispatcher.connected(.success(connection))
        return handle
    }

    /// Starts delivering an adopted connection's events to `delegate` (its first event is
    /// connect, with no error). Loop thread only.
    func start(delegate: any ConnectionDelegate) {
        assert(eventLoop.inEventLoop, "must run on the event loop thread")
        dispatcher.delegate = delegate
        dispatcher.owner = self
        dispatcher.pump()
    }
}

extension Connector {
    /// Starts connecting and returns at once (`InetAsyncConnectEx`). The delegate (held until the
    /// connection is closed or its connect fails)
    /// gets the connect event — with the error on failure — and then read, write and disconnect
    /// events, on the connection's loop thread, or on `queue` when given (still one at a time,
    /// in order). Bad input throws here, before any socket.
    public func connect(
        delegate: sending any ConnectionDelegate, queue: DispatchQueue? = nil
    ) throws(InetError) -> EventConnection {
        let dispatcher = EventDispatcher()
        dispatcher.delegate = delegate
        dispatcher.deliver(on: queue)
        let loop = try startConnect { result in dispatcher.connected(result) }
        let handle = EventConnection(eventLoop: loop, dispatcher: dispatcher)
        dispatcher.loop = loop
        // The connect may finish on the loop before this line; events wait (their due flags
        // persist) until the owner is set — on the loop, then delivered in order.
        loop.execute {
            guard !dispatcher.finished else { return }
            dispatcher.owner = handle
            dispatcher.pump()
        }
        return handle
    }
}
