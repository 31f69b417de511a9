extension Listener {
    /// The blocking face of a listener: the same operations as the async ones, waiting on the
    /// calling thread. Unavailable in async code; fails with `wouldDeadlock` on a loop thread.
    public struct Blocking: Sendable {
        /// The listener.
        public let listener: Listener

        /// Blocking ``accept(timeout:)``.
        @available(*, noasync, message: "blocks the thread; use the async call, or call it from a worker thread")
        public func accept(timeout: Duration? = nil) throws(InetError) -> Connection {
            try accept(timeout: timeout, call: listener.makeID())
        }

        /// The blocking accept as call `call` (see ``Listener/cancelBlockingCall(_:)``); `submitted`
        /// runs once the accept is queued on the loop (a cancel sent after it finds it).
        @available(*, noasync)
        package func accept(
            timeout: Duration?, call id: UInt64, submitted: () -> Void = {}
        ) throws(InetError) -> Connection {
            let (core, deadline) = (try listener.streamCore("accept()"), timeout.map { Deadline.after($0) })
            return try blockForCompletion("accept()") { completion in
                listener.submit(completion) { core.value.accept(id: id, deadline: deadline, completion) }
                submitted()
            }
        }

        /// Blocking ``receive(timeout:)``.
        @available(*, noasync, message: "blocks the thread; use the async call, or call it from a worker thread")
        public func receive(timeout: Duration? = nil) throws(InetError) -> Datagram {
            let (core, id, deadline) = (
                try listener.datagramCore("receive()"), listener.makeID(), timeout.map { Deadline.after($0) }
            )
            return try blockForCompletion("receive()") { completion in
                listener.submit(completion) { core.value.receive(id: id, deadline: deadline, completion) }
            }
        }

        /// Blocking ``send(_:to:)``.
        @available(*, noasync, message: "blocks the thread; use the async call, or call it from a worker thread")
        public func send(_ bytes: [UInt8], to peer: SocketAddress) throws(InetError) {
            let core = try listener.datagramCore("send(_:to:)")
            try blockForCompletion("send(_:to:)") { completion in
                listener.submit(completion) { core.value.send(Datagram(bytes: bytes, peer: peer), completion) }
            }
        }
        /// Blocking ``close()``: on an event loop thread it fails with `wouldDeadlock`.
        @available(*, noasync, message: "blocks the thread; use the async call, or call it from a worker thread")
        public func close() throws(InetError) {
            try blockForCompletion("close()") { (completion: Completion<Void>) in
                let done = UnsafeTransfer(completion)
                if !listener.eventLoop.execute({ [kind = listener.kind] in
                    Listener.close(kind)
                    done.value.succeed(())
                }) {
                    completion.succeed(())
                }
            }
        }
    }

    /// The blocking face of this listener (see ``Blocking``).
    public var blocking: Blocking { Blocking(listener: self) }

    /// A number for a blocking accept that another thread may cancel (`Inet.cancel`).
    package func makeCallID() -> UInt64 { makeID() }

    /// Fails the blocking accept `id`, if it still waits, with `cancelled` ("operation canceled").
    package func cancelBlockingCall(_ id: UInt64) {
        guard case .stream(let core) = kind else { return }
        eventLoop.execute { core.value.cancel(id, InetError(.cancelled, "operation canceled")) }
    }
}
