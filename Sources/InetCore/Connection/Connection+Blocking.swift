extension Connection {
    /// The blocking face of a connection: the same operations as the async ones, each waiting
    /// on the calling thread (bounded by its timeout). For worker threads — the original API's
    /// recommended style. Unavailable in async code (it would block a cooperative thread); on an
    /// event loop thread every call fails with `wouldDeadlock`.
    public struct Blocking: Sendable {
        /// The connection.
        public let connection: Connection

        /// Blocking ``Connection/read(maxBytes:timeout:)``.
        @available(*, noasync, message: "blocks the thread; use the async read, or call it from a worker thread")
        public func read(maxBytes: Int = 65536, timeout: Duration? = nil) throws(InetError) -> [UInt8] {
            try read(maxBytes: maxBytes, timeout: timeout, call: connection.makeID())
        }

        /// The blocking read as call `call` (see ``Connection/cancelBlockingCall(_:)``).
        /// `submitted` runs once the read is queued on the loop: a cancel sent after it is
        /// ordered behind the read there, so it always finds the read.
        @available(*, noasync)
        package func read(
            maxBytes: Int, timeout: Duration?, call id: UInt64, submitted: () -> Void = {}
        ) throws(InetError) -> [UInt8] {
            let c = connection
            let deadline = try c.deadline(timeout)
            return try blockForCompletion("read()") { completion in
                c.onLoop(completion) { $0.read(id: id, maxBytes: maxBytes, deadline: deadline, completion) }
                submitted()
            }
        }

        /// Blocking ``Connection/write(_:timeout:)-([UInt8],_)``.
        @available(*, noasync, message: "blocks the thread; use the async write, or call it from a worker thread")
        public func write(_ bytes: [UInt8], timeout: Duration? = nil) throws(InetError) {
            try write(bytes, timeout: timeout, call: connection.makeID())
        }

        /// The blocking write as call `call`; `submitted` as for ``read(maxBytes:timeout:call:submitted:)``.
        @available(*, noasync)
        package func write(
            _ bytes: [UInt8], timeout: Duration?, call id: UInt64, submitted: () -> Void = {}
        ) throws(InetError) {
            let c = connection
            let deadline = try c.deadline(timeout)
            try blockForCompletion("write()") { completion in
                c.onLoop(completion) { $0.write(id: id, bytes: bytes, deadline: deadline, completion) }
                submitted()
            }
        }

        /// Blocking write of the UTF-8 bytes of `text`.
        @available(*, noasync, message: "blocks the thread; use the async write, or call it from a worker thread")
        public func write(_ text: String, timeout: Duration? = nil) throws(InetError) {
            try write(Array(text.utf8), timeout: timeout)
        }

        /// Blocking ``Connection/shutdown(_:)``.
        @available(*, noasync, message: "blocks the thread; use the async shutdown, or call it from a worker thread")
        public func shutdown(_ direction: ShutdownDirection) throws(InetError) {
            let c = connection
            try blockForCompletion("shutdown()") { completion in
                c.onLoop(completion) { core in Connection.shutdown(core, direction, completion) }
            }
        }

        /// Blocking ``Connection/close()``.
        @available(*, noasync, message: "blocks the thread; use the async close, or call it from a worker thread")
        public func close() throws(InetError) {
            let c = connection
            let deadline = c.ioTimeout.map { Deadline.after($0) }
            try blockForCompletion("close()") { completion in
                c.onLoop(completion) { $0.close(deadline: deadline, completion) }
            }
        }
    }

    /// The blocking face of this connection (see ``Blocking``).
    public var blocking: Blocking { Blocking(connection: self) }

    /// A number for a blocking call that another thread may cancel (`Inet.cancel`).
    package func makeCallID() -> UInt64 { makeID() }

    /// Fails the blocking read or write `id`, if it still waits, with `cancelled`
    /// ("operation canceled"); nothing when it already ended.
    package func cancelBlockingCall(_ id: UInt64) {
        let core = self.core
        eventLoop.execute {
            core.value.cancelRead(id, InetError(.cancelled, "operation canceled"))
            core.value.cancelWrite(id, InetError(.cancelled, "operation canceled; none of the bytes were sent"))
        }
    }
}
