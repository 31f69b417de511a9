/// Entry points for the event layer (InetEvents). All of them run on the connection's loop
/// thread: callers hop there first (`eventLoop.inEventLoop` or `execute`).
extension Connection {
    /// Attaches the sink that hears readiness edges, or detaches with `nil`.
    package func attachEventSink(_ sink: ConnectionEventSink?) {
        eventLoop.assertInLoop()
        core.value.eventSink = sink
    }

    /// Reads what is there without waiting.
    package func tryReadOnLoop(into buffer: UnsafeMutableRawBufferPointer) throws(InetError) -> TryReadResult {
        eventLoop.assertInLoop()
        return try core.value.tryRead(into: buffer)
    }

    /// Writes what the socket takes now without waiting (partial writes allowed).
    package func tryWriteOnLoop(_ bytes: UnsafeRawBufferPointer) throws(InetError) -> TryWriteResult {
        eventLoop.assertInLoop()
        return try core.value.tryWrite(bytes)
    }

    /// After a read of `count` of `requested` bytes: may more be waiting (a syscall only when needed).
    package func mayHaveMoreInputOnLoop(afterReading count: Int, of requested: Int) -> Bool {
        eventLoop.assertInLoop()
        return core.value.mayHaveMoreInput(afterReading: count, of: requested)
    }

    /// True when input may be waiting, known without a syscall (see `ConnectionCore.mayHaveInput`).
    package var mayHaveInputOnLoop: Bool {
        eventLoop.assertInLoop()
        return core.value.mayHaveInput
    }

    /// True when a read would not wait (bytes or end of stream are there).
    package var hasInputWaitingOnLoop: Bool {
        eventLoop.assertInLoop()
        return core.value.hasInputWaiting
    }

    /// Reads and drops what waits now (`Inet.flush`): the count, 0 when nothing is left (or
    /// at end of stream).
    package func discardWaitingInputOnLoop(_ scratch: UnsafeMutableRawBufferPointer) -> Result<Int, InetError> {
        eventLoop.assertInLoop()
        do throws(InetError) {
            if case .bytes(let n) = try core.value.tryRead(into: scratch) { return .success(n) }
            return .success(0)
        } catch {
            return .failure(error)
        }
    }

    /// Copies waiting bytes without consuming them.
    package func tryPeekOnLoop(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, InetError> {
        eventLoop.assertInLoop()
        return core.value.tryPeek(into: buffer)
    }

    /// The socket descriptor (for polling readiness only), or nil once closed.
    package var descriptorOnLoop: Int32? {
        eventLoop.assertInLoop()
        return core.value.descriptorForPolling
    }

    /// Starts a half-close on the loop without waiting (FIN after queued bytes).
    package func shutdownOnLoop(_ direction: ShutdownDirection) {
        eventLoop.assertInLoop()
        Connection.shutdown(core.value, direction, .callback { _ in })
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
    package func startConnect(
        _ completion: @escaping @Sendable (Result<Connection, InetError>) -> Void
    ) throws(InetError) -> EventLoop {
        let plan = try ConnectPlan(self)
        ConnectOperation.start(plan, .callback(completion))
        return plan.loop
    }
}
