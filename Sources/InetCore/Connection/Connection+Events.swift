/// Entry points for the event layer (InetEvents). All of them run on the connection's loop
/// thread: callers hop there first (`eventLoop.inEventLoop` or `execute`).
extension Connection {
    /// Attaches the sink that hears readiness edges, or detaches with `nil`.
    package func attachEventSink(_ sink: ConnectionEventSink?) {
        eventLoop.assertInLoop()
        core.value.eventSink = sink
    }

    /// Reads what is there without waiting.
    package func tryReadOnLoop(into buffer: UnsafeMutableRawBufferPointer) -> Result<TryReadResult, InetError> {
        eventLoop.assertInLoop()
        return core.value.tryRead(into: buffer)
    }

    /// Writes what the socket takes now without waiting (partial writes allowed).
    package func tryWriteOnLoop(_ bytes: UnsafeRawBufferPointer) -> Result<TryWriteResult, InetError> {
        eventLoop.assertInLoop()
        return core.value.tryWrite(bytes)
    }

    /// True when a read would not wait (bytes or end of stream are there).
    package var hasInputWaitingOnLoop: Bool {
        eventLoop.assertInLoop()
        return core.value.hasInputWaiting
    }

    /// Closes now on the loop (graceful: queued bytes still go out); no event follows.
    package func closeOnLoop() {
        eventLoop.assertInLoop()
        core.value.eventSink = nil
        core.value.close(deadline: ioTimeout.map { Deadline.after($0) }, nil)
    }
}

extension Connector {
    /// Validates, then starts connecting; `completion` runs once, on the connection's loop
    /// thread. Returns that loop. Bad input throws here, before any socket exists.
    package func startConnect(_ completion: @escaping @Sendable (Result<Connection, InetError>) -> Void) throws(InetError) -> EventLoop {
        let plan = try ConnectPlan(self)
        ConnectOperation.start(plan, .callback(completion))
        return plan.loop
    }
}
