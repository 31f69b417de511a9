import CInetLinux
import DequeModule
import Glibc
import Logging
import InetTLS

/// The loop-side state of a listening TCP socket. Accepts only while someone waits for a
/// connection, so an unread backlog pushes back on clients instead of piling up descriptors.
/// Invariant: every method runs on `loop`'s thread.
final class ListenerCore {
    let loop: EventLoop
    let group: EventLoopGroup
    let options: InetOptions
    let ioTimeout: Duration?
    let writeBufferLimit: Int
    /// Server TLS for accepted connections (swapped by `Listener.reloadTLS` from any thread;
    /// each accept takes the one in force), and how long their handshake may take.
    let serverTLS: Locked<TLSContext>?
    var tlsContext: TLSContext? { serverTLS?.withLock { $0 } }
    let handshakeTimeout: Duration
    private var descriptor: SocketDescriptor?
    private var token: RegistrationToken?
    private var acceptable = true
    private var pending = WaitQueue<Void, Connection>()
    /// Set by the event layer: every accepted connection goes here (on its own loop), and the
    /// listener accepts whenever connections arrive instead of only while someone waits.
    private var acceptHandler: (@Sendable (Result<Connection, InetError>) -> Void)?
    /// TLS listeners accept ahead: handshakes run concurrently (a slow client cannot stall the
    /// others) and finished connections wait here for `accept`. Both are bounded together.
    private var ready: Deque<Connection> = []
    private var handshakesInFlight = 0
    static let maxTLSAhead = 64
    /// A spare descriptor (`/dev/null`) held so that, out of descriptors, the listener can still
    /// take a waiting client off the backlog and close it at once instead of leaving it hanging
    /// with no readiness edge to come (edge-triggered epoll reports a backlog only once).
    private var reserve: Int32 = ListenerCore.openReserve()
    /// Clients closed at once because the process was out of descriptors (see `reserve`).
    private(set) var refusedUnderOverload = 0

    /// The listener's logger when it logs warnings (accept errors, refused handshakes); nil otherwise.
    let logger: Logger?
    /// The same when it logs at debug level (accepted clients; why their connections closed).
    let debugLogger: Logger?
    /// A Unix domain socket listener's file, removed at close (set before the core reaches the loop).
    var socketFile: UnixSocketFile?

    init(
        loop: EventLoop, group: EventLoopGroup, descriptor: consuming SocketDescriptor, options: InetOptions,
        ioTimeout: Duration?, writeBufferLimit: Int, tlsContext: TLSContext?, handshakeTimeout: Duration,
        logger: Logger? = nil
    ) {
        self.logger = InetLog.active(logger, at: .warning)
        self.debugLogger = InetLog.active(logger, at: .debug)
        self.serverTLS = tlsContext.map { Locked($0) }
        self.handshakeTimeout = handshakeTimeout
        self.loop = loop
        self.group = group
        self.descriptor = .some(descriptor)
        self.options = options
        self.ioTimeout = ioTimeout
        self.writeBufferLimit = writeBufferLimit
    }

    deinit { if reserve >= 0 { Syscall.close(reserve) } }

    func register() {
        guard let fd = descriptor?.raw else { return }
        do {
            token = try loop.register(fd: fd, .listener(self))
        } catch {
            close(error)
        }
    }

    func handle(_ readiness: Readiness) {
        acceptable = true
        serviceAccepts()
    }

    func accept(id: UInt64, deadline: Deadline?, _ completion: Completion<Connection>) {
        guard descriptor != nil else { return completion.fail(InetError(.connectionClosed, "listener closed")) }
        if let connection = ready.popFirst() {
            completion.succeed(connection)
            return serviceAccepts()
        }
        let timer = deadline.map {
            loop.scheduleInLoop(at: $0) { [weak self] in
                self?.cancel(id, InetError(.timedOut, "no connection arrived before the accept timeout"))
            }
        }
        pending.append(id: id, (), completion, timer: timer)
        serviceAccepts()
    }

    func cancel(_ id: UInt64, _ error: InetError) { pending.fail(id: id, error) }

    /// Hands every connection from now on to `handler` (see `acceptHandler`).
    func acceptAll(_ handler: @escaping @Sendable (Result<Connection, InetError>) -> Void) {
        guard descriptor != nil else { return handler(.failure(InetError(.connectionClosed, "listener closed"))) }
        acceptHandler = handler
        while let connection = ready.popFirst() { handler(.success(connection)) }
        serviceAccepts()
    }

    private enum AcceptOutcome {
        case accepted(Int32)
        case wouldBlock
        case failed(InetError)
    }

    /// One `accept4`, retrying the errors that concern only the connection being accepted.
    private func acceptOne() -> AcceptOutcome {
        guard let fd = descriptor?.raw else { return .wouldBlock }
        while true {
            do throws(InetError) {
                guard let accepted = try Syscall.accept(fd, closeOnExec: options.contains(.noInherit)) else {
                    acceptable = false
                    return .wouldBlock
                }
                return .accepted(accepted)
            } catch {
                switch error.systemErrno {
                case ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE:
                    // Out of descriptors: the waiting clients are closed at once and counted,
                    // so none waits for an answer that would never come; the error is reported
                    // once. The next client raises a new edge and is accepted as usual.
                    let refused = refuseBacklog(fd)
                    var reported = error
                    reported.message +=
                        refused > 0
                        ? "; \(refused) waiting client(s) closed at once (\(refusedUnderOverload) so far)"
                        : ""
                    logger?.warning("accept failed", metadata: ["inet.error": .string(reported.description)])
                    InetMetrics.current?.acceptFailed(error.code)
                    return .failed(reported)
                default:
                    logger?.warning("accept failed", metadata: ["inet.error": .string(error.description)])
                    InetMetrics.current?.acceptFailed(error.code)
                    return .failed(error)
                }
            }
        }
    }

    /// Takes every waiting client off the backlog and closes it, using the reserve descriptor
    /// to make room; returns how many.
    private func refuseBacklog(_ fd: Int32) -> Int {
        guard reserve >= 0 else { return 0 }
        var refused = 0
        while refused < 4096 {
            Syscall.close(reserve)
            reserve = -1
            let accepted: Int32?
            do throws(InetError) { accepted = try Syscall.accept(fd, closeOnExec: true) } catch { accepted = nil }
            if let accepted {
                Syscall.close(accepted)
                refused += 1
            }
            reserve = Self.openReserve()
            if accepted == nil || reserve < 0 { break }
        }
        refusedUnderOverload += refused
        acceptable = false
        return refused
    }

    private static func openReserve() -> Int32 { Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC) }

    private func serviceAccepts() {
        if serverTLS != nil { return serviceTLSAccepts() }
        if let acceptHandler {
            while acceptable {
                switch acceptOne() {
                case .accepted(let fd): hand(fd, to: .callback(acceptHandler))
                case .wouldBlock: return
                case .failed(let error): return acceptHandler(.failure(error))
                }
            }
        }
        while !pending.isEmpty, acceptable {
            switch acceptOne() {
            case .accepted(let fd): hand(fd, to: pending.removeFirst().completion)
            case .wouldBlock: return
            case .failed(let error): return pending.completeFirst(.failure(error))
            }
        }
    }

    /// TLS: accepts while under the bound, whether or not anyone waits yet.
    private func serviceTLSAccepts() {
        while acceptable, handshakesInFlight + ready.count < Self.maxTLSAhead {
            switch acceptOne() {
            case .accepted(let fd):
                handshakesInFlight += 1
                let me = UnsafeTransfer(self)
                let loop = self.loop
                hand(
                    fd,
                    to: .callback { result in
                        loop.execute { me.value.handshakeEnded(result) }
                    })
            case .wouldBlock: return
            case .failed(let error):
                if !pending.isEmpty { pending.completeFirst(.failure(error)) }
                return
            }
        }
    }

    /// A TLS handshake ended: hand the connection to a waiter or keep it ready; drop failures.
    private func handshakeEnded(_ result: Result<Connection, InetError>) {
        handshakesInFlight -= 1
        if case .failure(let error) = result {
            logger?.warning("refused a client's TLS handshake", metadata: ["inet.error": .string(error.description)])
        }
        if case .success(let connection) = result, descriptor != nil {
            if let acceptHandler {
                // The handshake ran on the connection's loop but ends here, on the listener's:
                // hand the connection over on its own loop, as `acceptAll` promises.
                let target = connection.eventLoop
                if target === loop {
                    acceptHandler(.success(connection))
                } else {
                    target.execute { acceptHandler(.success(connection)) }
                }
            } else if pending.isEmpty {
                ready.append(connection)
            } else {
                pending.completeFirst(.success(connection))
            }
        }
        serviceAccepts()
    }

    /// Gives an accepted descriptor to the group's next loop and completes there.
    private func hand(_ raw: Int32, to completion: Completion<Connection>) {
        let descriptor = SocketDescriptor(taking: raw)
        do throws(InetError) {
            // TLS connections always get TCP_NODELAY (see ConnectOperation.openSocket).
            let socketOptions = options.intersection([.keepAlive, .noDelay, .dontRoute])
            try descriptor.apply(serverTLS == nil ? socketOptions : socketOptions.union(.noDelay), protocol: .tcp)
        } catch {
            return completion.fail(error)
        }
        let target = group.next()
        let (ioTimeout, limit, tlsContext, handshakeTimeout) = (
            self.ioTimeout, writeBufferLimit, self.tlsContext, self.handshakeTimeout
        )
        let closeOnExec = options.contains(.noInherit)
        let debugLogger = self.debugLogger
        let fd = descriptor.release()  // ownership moves to the task below
        let submitted = target.execute {
            let owned = SocketDescriptor(taking: fd)
            let core = ConnectionCore(
                loop: target, descriptor: owned, protocol: .tcp,
                state: .open(Flow()), highWater: limit)
            core.readable = true  // an accepted socket may already hold the client's first bytes
            core.writable = true
            core.closeOnExec = closeOnExec
            if let debugLogger {
                core.logger = debugLogger
                debugLogger.debug(
                    "accepted", metadata: ["inet.address": .string(core.remoteAddress?.description ?? "")])
            }
            do throws(InetError) {
                try core.register()
                if let metrics = InetMetrics.current {  // after register: from here it closes through closeNow
                    metrics.serverOpened.increment()
                    metrics.listenerOpen.increment()
                    core.metrics = .server(metrics)
                }
                guard let tlsContext else {
                    return completion.succeed(
                        Connection(core: core, host: core.remoteAddress?.ipAddress ?? "", ioTimeout: ioTimeout))
                }
                // Handed out once the server handshake succeeds, within handshakeTimeout.
                let engine: TLSEngine
                do throws(TLSError) { engine = try TLSEngine(context: tlsContext) } catch {
                    core.closeNow(nil)
                    return completion.fail(InetError(error))
                }
                let handshake = AcceptedHandshake(completion: completion, ioTimeout: ioTimeout)
                handshake.timer = target.scheduleInLoop(at: .after(handshakeTimeout)) { [weak core] in
                    core?.fail(
                        InetError(.timedOut, "the client did not finish the TLS handshake within \(handshakeTimeout)"))
                }
                core.startHandshake(engine, owner: .accept(handshake))
            } catch {
                completion.fail(error)
            }
        }
        if !submitted {
            Syscall.close(fd)
            completion.fail(InetError(.eventLoopShutdown, "the event loop was shut down"))
        }
    }

    func close(_ error: InetError?) {
        if reserve >= 0 { Syscall.close(reserve) }
        reserve = -1
        if let token { loop.deregister(token) }
        token = nil
        if descriptor != nil { socketFile?.remove() }  // once: the first close
        descriptor = nil
        acceptHandler = nil
        pending.failAll(error ?? InetError(.connectionClosed, "listener closed"))
        ready.removeAll()  // dropping them closes them
    }
}
