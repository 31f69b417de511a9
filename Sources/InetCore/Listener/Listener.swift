import Glibc
public import InetTLS
public import Logging
import Synchronization

/// A bound socket that accepts TCP connections or exchanges UDP datagrams
/// (`InetListen` / `InetAccept` / `InetServerStart`'s family).
///
/// TCP: ``accept(timeout:)`` or `for try await connection in listener.connections`.
/// UDP: ``receive(timeout:)`` and ``send(_:to:)``. Like ``Connection``, every call also has a
/// blocking form on ``blocking``.
public final class Listener: Sendable {
    enum Kind: Sendable {
        case stream(UnsafeTransfer<ListenerCore>)
        case datagram(UnsafeTransfer<DatagramCore>)
    }

    let kind: Kind
    /// The loop that owns the socket.
    public let eventLoop: EventLoop
    /// The bound address; the real port when port 0 was asked for.
    public let localAddress: SocketAddress
    /// `.tcp` or `.udp`.
    public let `protocol`: InetProtocol
    private let nextID = Atomic<UInt64>(1)

    /// Binds and (TCP) listens.
    /// - Parameters:
    ///   - address: a local IP literal; `nil` or `""` means every IPv4 interface (`0.0.0.0`),
    ///     `"::"` means IPv6 and IPv4 on one socket.
    ///   - port: 0…65535; 0 picks a free port (see ``localAddress``).
    ///   - proto: `.tcp` (default) or `.udp`.
    ///   - backlog: pending-connection queue length; 0 means the system maximum.
    ///   - options: `.noInherit`, `.noDelay`/`.keepAlive` (applied to accepted TCP
    ///     connections), `.broadcast` (UDP), `.dontRoute`.
    ///   - ioTimeout: the default read/write timeout of accepted connections (`nil`: none).
    ///   - tls: server TLS (role `.server`, with a certificate store). The listener accepts ahead
    ///     and runs up to 64 handshakes at once, each within `handshakeTimeout`; `accept` hands out
    ///     connections whose handshake succeeded. Clients that fail theirs are closed and dropped.
    ///   - callerContext: (`tlsContext:`) instead of `tls`, a server context the caller made (and may share).
    ///   - handshakeTimeout: how long an accepted client's TLS handshake may take.
    ///   - group: the group whose loops own the listener and its connections (default: ``EventLoopGroup/shared``).
    ///   - reuseAddress: `SO_REUSEADDR` (TCP), so a restarted server binds while connections of
    ///     its last run are in TIME_WAIT. On by default; the legacy `Inet.listenEx` sets it only
    ///     with `INET_OPTION_REUSEADDRESS`, as the original did.
    ///   - logger: warnings for accept errors (`EMFILE`) and refused TLS handshakes; at debug
    ///     level each accepted client and why its connection closed (see ``InetLog``).
    public convenience init(
        address: String? = nil, port: Int, protocol proto: InetProtocol = .tcp, backlog: Int = 0,
        options: InetOptions = .default, ioTimeout: Duration? = nil, tls: TLSConfiguration? = nil,
        tlsContext callerContext: TLSContext? = nil, handshakeTimeout: Duration = .seconds(20),
        group: EventLoopGroup? = nil,
        reuseAddress: Bool = true, logger: Logger? = nil
    ) throws(InetError) {
        guard (0...65535).contains(port) else { throw InetError(.invalidPort, "port must be 0…65535; got \(port)") }
        guard backlog >= 0 else { throw InetError(.invalidParameter, "backlog must be 0 or more; got \(backlog)") }
        if !options.intersection(.unknownBits).isEmpty {
            throw InetError(.invalidOptions, "invalid options \(options): unknown option bits")
        }
        if proto == .tcp, options.contains(.broadcast) {
            throw InetError(.invalidOptions, "invalid options \(options): broadcast applies to UDP only")
        }
        var tlsContext: TLSContext?
        if tls != nil, callerContext != nil {
            throw InetError(.invalidParameter, "give a listener tls: or tlsContext:, not both")
        }
        if tls != nil || callerContext != nil {
            guard (tls?.role ?? callerContext?.configuration.role) == .server, proto == .tcp else {
                throw InetError(.invalidParameter, "a TLS listener needs a .server configuration and TCP")
            }
            guard handshakeTimeout > .zero else {
                throw InetError(.invalidTimeout, "handshakeTimeout must be positive; got \(handshakeTimeout)")
            }
            if let tls {
                do throws(TLSError) { tlsContext = try TLSContextCache.context(for: tls) } catch {
                    throw InetError(error)
                }
            } else {
                tlsContext = callerContext
            }
        } else if options.contains(.secure) {
            throw InetError(
                .invalidOptions, "invalid options \(options): a secure listener needs `tls:` with server credentials")
        }
        let text = address.map(HostValidation.stripBrackets) ?? ""
        guard
            var bindAddress = text.isEmpty ? SocketAddress.any(.ipv4, port: 0) : SocketAddress(ipLiteral: text, port: 0)
        else {
            throw InetError(.invalidAddress, "listen address must be an IPv4 or IPv6 literal; got '\(address ?? "")'")
        }
        bindAddress.port = UInt16(port)
        let group = group ?? .shared
        let loop = group.next()
        let descriptor = try SocketDescriptor(
            family: bindAddress.family, protocol: proto, closeOnExec: options.contains(.noInherit))
        if proto == .tcp, reuseAddress { try descriptor.setOption(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR") }
        if bindAddress.family == .ipv6, bindAddress.isUnspecified {
            try descriptor.setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0, "IPV6_V6ONLY")
        }
        if proto == .udp { try descriptor.apply(options.intersection([.broadcast, .dontRoute]), protocol: .udp) }
        try descriptor.bind(bindAddress)
        if proto == .tcp {
            try Syscall.listen(
                descriptor.raw, backlog: backlog == 0 ? SOMAXCONN : Int32(clamping: backlog), "listen on \(bindAddress)"
            )
        }
        try self.init(
            bound: descriptor, loop: loop, group: group, protocol: proto, options: options, ioTimeout: ioTimeout,
            tlsContext: tlsContext, handshakeTimeout: handshakeTimeout, logger: logger, socketFile: nil)
    }

    /// A listener on the Unix domain socket (`AF_UNIX`, stream) at `path`; its connections are
    /// used as TCP ones, in all three styles. The socket file is made by the bind and removed when
    /// the listener closes (if it is still the same file). A socket file left by a listener that
    /// is gone (connecting to it is refused) is replaced when `removeStaleSocketFile`; a live
    /// listener's path fails with `addressInUse`, and so does a path holding another kind of file
    /// (never removed). Other errors: a path over ``SocketAddress/maxUnixPathLength`` bytes
    /// `invalidAddress`; a missing directory `addressNotAvailable`; no permission
    /// `permissionDenied`. Options: `.noInherit` only (the IP options do not apply).
    /// `permissions`: the socket file's mode bits (e.g. `0o660`), set right after the bind;
    /// `nil` leaves the umask's.
    public convenience init(
        unixDomainSocketPath path: String, backlog: Int = 0, options: InetOptions = .default,
        ioTimeout: Duration? = nil,
        permissions: UInt16? = nil, removeStaleSocketFile: Bool = true, group: EventLoopGroup? = nil,
        logger: Logger? = nil
    ) throws(InetError) {
        let address = try SocketAddress(unixDomainSocketPath: path)
        guard backlog >= 0 else { throw InetError(.invalidParameter, "backlog must be 0 or more; got \(backlog)") }
        let extra = options.subtracting(.noInherit)
        guard extra.isEmpty else {
            throw InetError(
                .invalidOptions,
                "invalid options \(options) for the Unix domain socket \(path): only .noInherit applies")
        }
        let group = group ?? .shared
        let descriptor = try SocketDescriptor(family: .unix, protocol: .tcp, closeOnExec: options.contains(.noInherit))
        let file = try UnixSocketFile.bind(descriptor, address, removeStale: removeStaleSocketFile)
        do throws(InetError) {
            if let permissions, chmod(path, mode_t(permissions)) != 0 {
                throw InetError.system("chmod \(String(permissions, radix: 8)) \(path)", errno: errno, host: path)
            }
            try Syscall.listen(
                descriptor.raw, backlog: backlog == 0 ? SOMAXCONN : Int32(clamping: backlog), "listen on \(address)")
        } catch {
            file.remove()
            throw error
        }
        try self.init(
            bound: descriptor, loop: group.next(), group: group, protocol: .tcp, options: options, ioTimeout: ioTimeout,
            tlsContext: nil, handshakeTimeout: .seconds(20), logger: logger, socketFile: file)
    }

    /// The common end of both: a bound (and for TCP, listening) socket handed to its loop.
    private init(
        bound descriptor: consuming SocketDescriptor, loop: EventLoop, group: EventLoopGroup,
        protocol proto: InetProtocol,
        options: InetOptions, ioTimeout: Duration?, tlsContext: TLSContext?, handshakeTimeout: Duration,
        logger: Logger?,
        socketFile: UnixSocketFile?
    ) throws(InetError) {
        guard let bound = descriptor.localAddress else {
            socketFile?.remove()
            throw .system("getsockname", errno: errno)
        }
        self.localAddress = bound
        self.eventLoop = loop
        self.protocol = proto
        switch proto {
        case .tcp:
            let core = ListenerCore(
                loop: loop, group: group, descriptor: descriptor, options: options, ioTimeout: ioTimeout,
                writeBufferLimit: 1 << 20, tlsContext: tlsContext, handshakeTimeout: handshakeTimeout, logger: logger)
            core.socketFile = socketFile
            kind = .stream(UnsafeTransfer(core))
        case .udp:
            kind = .datagram(UnsafeTransfer(DatagramCore(loop: loop, descriptor: descriptor)))
        }
        let kind = self.kind
        let registered = loop.execute {
            switch kind {
            case .stream(let core): core.value.register()
            case .datagram(let core): core.value.register()
            }
        }
        if !registered {
            socketFile?.remove()
            throw InetError(.eventLoopShutdown, "the event loop was shut down")
        }
    }

    deinit { _ = eventLoop.execute(closeTask(nil)) }

    // MARK: TLS reload

    /// Serves new clients with `context` from now on (a renewed certificate, new roots): every
    /// handshake that starts after this returns uses it; connections already accepted or
    /// handshaking keep theirs, and nothing is dropped. Only for a listener made with TLS.
    public func reloadTLS(_ context: TLSContext) throws(InetError) {
        guard context.configuration.role == .server else {
            throw InetError(
                .invalidParameter, "reloadTLS needs a .server context; got a \(context.configuration.role) one")
        }
        guard case .stream(let core) = kind, let serverTLS = core.value.serverTLS else {
            throw InetError(.invalidParameter, "reloadTLS is for a listener made with TLS (tls: or tlsContext:)")
        }
        serverTLS.withLock { $0 = context }
    }

    /// Makes a fresh context from `configuration` — reading its files again, whatever is
    /// cached — and serves new clients with it (as `reloadTLS` with a context does). A problem
    /// with the files throws here and leaves the context in force unchanged.
    public func reloadTLS(_ configuration: TLSConfiguration) throws(InetError) {
        let context: TLSContext
        do throws(TLSError) { context = try TLSContext(configuration) } catch { throw InetError(error) }
        try reloadTLS(context)
    }

    /// Stops listening and closes the socket; returns once it is closed (the port is free and
    /// new connects are refused). Waiting accepts and receives fail with `connectionClosed`.
    public func close() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            if !eventLoop.execute(closeTask(continuation)) { continuation.resume() }
        }
    }

    private func closeTask(_ continuation: UnsafeContinuation<Void, Never>?) -> @Sendable () -> Void {
        let (kind, done) = (self.kind, UnsafeTransfer(continuation))
        return {
            Self.close(kind)
            done.value?.resume()
        }
    }

    /// Closes now, on the loop thread (the event layer's close).
    package func closeOnLoop() {
        eventLoop.assertInLoop()
        Self.close(kind)
    }

    static func close(_ kind: Kind) {
        switch kind {
        case .stream(let core): core.value.close(nil)
        case .datagram(let core): core.value.close(nil)
        }
    }

    func makeID() -> UInt64 { nextID.wrappingAdd(1, ordering: .relaxed).oldValue }

    func streamCore(_ what: String) throws(InetError) -> UnsafeTransfer<ListenerCore> {
        guard case .stream(let core) = kind else { throw InetError(.invalidParameter, "\(what) needs a TCP listener") }
        return core
    }

    func datagramCore(_ what: String) throws(InetError) -> UnsafeTransfer<DatagramCore> {
        guard case .datagram(let core) = kind else {
            throw InetError(.invalidParameter, "\(what) needs a UDP listener")
        }
        return core
    }

    func submit<V>(_ completion: Completion<V>, _ body: @escaping @Sendable () -> Void) {
        if !eventLoop.execute(body) { completion.fail(InetError(.eventLoopShutdown, "the event loop was shut down")) }
    }

    // MARK: TCP

    /// The next incoming connection (`timeout` nil: wait without limit).
    public func accept(timeout: Duration? = nil) async throws(InetError) -> Connection {
        let (core, id, deadline) = (try streamCore("accept()"), makeID(), timeout.map { Deadline.after($0) })
        return try await awaitCompletion { completion in
            submit(completion) { core.value.accept(id: id, deadline: deadline, completion) }
        } cancel: { [eventLoop] in
            eventLoop.execute { core.value.cancel(id, InetError(.cancelled, "accept cancelled")) }
        }
    }

    /// Event layer: from now on every accepted connection (TLS: after its handshake) goes to
    /// `handler`, on the connection's own loop thread; accept failures (e.g. EMFILE) too.
    package func acceptAll(_ handler: @escaping @Sendable (Result<Connection, InetError>) -> Void) throws(InetError) {
        let core = try streamCore("accepting with a delegate")
        if !eventLoop.execute({ core.value.acceptAll(handler) }) {
            throw InetError(.eventLoopShutdown, "the event loop was shut down")
        }
    }

    /// Serves every incoming connection with `handler`, each in a task of its own that runs on
    /// the connection's loop (the loop as task executor, so its reads and writes need no hop).
    /// Returns once the listener is closed and every handler has returned. Cancelling the
    /// calling task stops accepting and cancels the handlers (then returns, after they end).
    /// Throws an accept error other than the listener's close (handlers are cancelled first).
    public func serve(_ handler: @escaping @Sendable (Connection) async -> Void) async throws(InetError) {
        let failure: InetError? = await withDiscardingTaskGroup { group in
            while true {
                let connection: Connection
                do throws(InetError) { connection = try await accept() } catch {
                    group.cancelAll()
                    return error.code == .connectionClosed || error.code == .cancelled ? nil : error
                }
                // On the connection's loop, in one cancellation scope (cheaper waits).
                group.addTask(executorPreference: connection.eventLoop) {
                    await connection.withCancellationScope { await handler(connection) }
                }
            }
        }
        if let failure { throw failure }
    }

    /// Incoming connections, one per `next()`; ends when the listener is closed.
    public var connections: Connections { Connections(listener: self) }

    /// The incoming connections of a TCP ``Listener``.
    public struct Connections: AsyncSequence, Sendable {
        /// A connection.
        public typealias Element = Connection
        /// Errors are ``InetError``.
        public typealias Failure = InetError
        let listener: Listener

        /// The iterator.
        public struct AsyncIterator: AsyncIteratorProtocol {
            let listener: Listener

            /// The next connection, `nil` once the listener is closed.
            public mutating func next(
                isolation actor: isolated (any Actor)? = #isolation
            ) async throws(InetError) -> Connection? {
                do {
                    return try await listener.accept()
                } catch  where error.code == .connectionClosed {
                    return nil
                }
            }

            /// The next connection, `nil` once the listener is closed.
            public mutating func next() async throws(InetError) -> Connection? { try await next(isolation: nil) }
        }

        /// An iterator.
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(listener: listener) }
    }

    // MARK: UDP

    /// The next datagram and its sender (`timeout` nil: wait without limit).
    public func receive(timeout: Duration? = nil) async throws(InetError) -> Datagram {
        let (core, id, deadline) = (try datagramCore("receive()"), makeID(), timeout.map { Deadline.after($0) })
        return try await awaitCompletion { completion in
            submit(completion) { core.value.receive(id: id, deadline: deadline, completion) }
        } cancel: { [eventLoop] in
            eventLoop.execute { core.value.cancel(id, InetError(.cancelled, "receive cancelled")) }
        }
    }

    /// Sends one datagram to `peer`.
    public func send(_ bytes: [UInt8], to peer: SocketAddress) async throws(InetError) {
        let core = try datagramCore("send(_:to:)")
        try await awaitCompletion { completion in
            submit(completion) { core.value.send(Datagram(bytes: bytes, peer: peer), completion) }
        } cancel: {
        }
    }
}
