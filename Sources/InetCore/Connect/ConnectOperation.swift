import CInetLinux
import Glibc
import InetTLS
import Logging

/// One connect in progress on a loop: resolves (off the loop), runs the connect state machine
/// (`HappyEyeballs`: attempts, then the TLS handshake), enforces the overall deadline, and
/// completes exactly once — its completion is taken out when used, so a second completion is
/// impossible (and traps in debug builds).
/// Invariant: every method but `start`/`cancel` runs on `plan.loop`'s thread. Its state is
/// loop-confined and marked `@exclusivity(unchecked)` (as `ConnectionCore`'s): the dynamic check
/// cost ~95 instructions per access, ~40 accesses per connect.
final class ConnectOperation {
    let plan: ConnectPlan
    /// Taken (set to nil) by the one ending; see `finish`.
    @exclusivity(unchecked) private var completion: Completion<Connection>?
    @exclusivity(unchecked) private var machine: HappyEyeballs
    /// One per address, in the order they are tried (made once the addresses are known): one
    /// array for everything an attempt has, so a one-address connect allocates one array.
    @exclusivity(unchecked) private var attempts: [Attempt] = []
    /// The latest attempt's, resolution's or handshake's error, for the final one.
    @exclusivity(unchecked) private var lastError: InetError?
    @exclusivity(unchecked) private var resolution = ResolutionOutcome.pending
    @exclusivity(unchecked) private var staggerTimer: ScheduledTask?
    @exclusivity(unchecked) private var deadlineTimer: ScheduledTask?
    /// An async resolver's lookup, while it runs (cancelled when the connect ends first).
    @exclusivity(unchecked) private var resolverTask: Task<Void, Never>?
    /// Actions the machine produced while earlier ones were still being performed (an attempt
    /// that fails or connects at once feeds the machine again): performed in order, after them.
    @exclusivity(unchecked) private var queuedActions = HappyEyeballs.Actions()
    @exclusivity(unchecked) private var applying = false
    /// Its slot in the loop's list of operations in progress (-1: not tracked).
    @exclusivity(unchecked) var trackIndex = -1
    /// Metrics (nil unless a backend was bootstrapped), when the connect began, and when the
    /// winner's handshake began.
    @exclusivity(unchecked) private var metrics: InetMetrics?
    @exclusivity(unchecked) private var beganAt = Deadline(uptimeNanoseconds: 0)
    @exclusivity(unchecked) private var handshakeBeganAt = Deadline(uptimeNanoseconds: 0)

    /// An operation that has not begun (`start` begins one on its loop; tests of the state
    /// machines that hold an operation make one and never begin it).
    init(plan: ConnectPlan, completion: Completion<Connection>) {
        self.plan = plan
        self.completion = completion
        self.machine = HappyEyeballs(secure: plan.tlsContext != nil)
    }

    /// Starts a connect for `plan` on its loop; `completion` gets the result.
    static func start(_ plan: ConnectPlan, _ completion: Completion<Connection>) {
        // The operation is made here and handed over whole (no closure to allocate); it is
        // touched only on the loop from `begin` on.
        let operation = ConnectOperation(plan: plan, completion: completion)
        if !plan.loop.execute(.beginConnect(operation)) {
            operation.completion = nil
            completion.fail(InetError(.eventLoopShutdown, "the event loop was shut down"))
        }
    }

    /// Cancels the connect of `plan`, if it is still running.
    static func cancel(plan: ConnectPlan) {
        plan.loop.execute {
            plan.operation?.abort(InetError(.cancelled, "connect to \(plan.host) port \(plan.port) was cancelled"))
        }
    }

    /// Runs first on the loop (queued by `start`).
    func begin() {
        plan.operation = self
        if let metrics = InetMetrics.current {
            self.metrics = metrics
            beganAt = .now()
        }
        do {
            try plan.loop.track(self)
        } catch {
            return finish(.failure(error))
        }
        // The timers hold the operation strongly (a weak capture would give every connect a
        // side-table allocation); `finish`, which every ending goes through, cancels both, and a
        // loop shutdown aborts the operation (so ends it) and drops all timers.
        deadlineTimer = plan.loop.scheduleInLoop(at: .after(plan.timeout)) { [self] in apply(machine.timedOut()) }
        if let literal = plan.literal {
            // One literal address: no resolver, no ordering (ConnectPlan checked its family
            // against the local bind).
            resolution = .literal
            attempts = [Attempt(address: literal)]
            plan.logger?.debug("connecting to an IP literal", metadata: metadata())
            return apply(machine.resolved(count: 1))
        }
        let transfer = UnsafeTransfer(self)
        let (host, port, proto, resolver, loop) = (plan.host, plan.port, plan.proto, plan.resolver, plan.loop)
        guard let blocking = resolver as? any BlockingResolver else {
            // An async resolver: its own task, cancelled by `finish` if the connect ends first.
            resolverTask = Task {
                let result: Result<[SocketAddress], InetError>
                do throws(InetError) {
                    result = .success(try await resolver.resolve(host: host, port: port, protocol: proto))
                } catch {
                    result = .failure(error)
                }
                loop.execute { transfer.value.resolutionFinished(result) }
            }
            return
        }
        do throws(InetError) {
            try BlockingPool.shared.submit {
                let result: Result<[SocketAddress], InetError>
                do throws(InetError) {
                    result = .success(try blocking.resolve(host: host, port: port, protocol: proto))
                } catch {
                    result = .failure(error)
                }
                loop.execute { transfer.value.resolutionFinished(result) }
            }
        } catch {
            // No resolver thread: the connect fails like a resolution that could not run.
            resolution = .failed(error.code, error.message)
            lastError = error
            apply(machine.resolved(count: 0))
        }
    }

    private func resolutionFinished(_ result: Result<[SocketAddress], InetError>) {
        resolverTask = nil
        if let logger = plan.logger {
            switch result {
            case .success(let list):
                logger.debug(
                    "resolved", metadata: metadata(["inet.addresses": .array(list.map { .string($0.ipAddress) })]))
            case .failure(let error):
                logger.debug("resolution failed", metadata: metadata(["inet.error": .string(error.description)]))
            }
        }
        switch result {
        case .success(let list):
            resolved(
                list.map {
                    var a = $0
                    a.port = plan.port
                    return a
                })
        case .failure(let error):
            if !machine.isFinished {
                resolution = .failed(error.code, error.message)
                lastError = error
            }
            apply(machine.resolved(count: 0))
        }
    }

    private func resolved(_ list: [SocketAddress]) {
        guard !machine.isFinished else { return apply(machine.resolved(count: 0)) }
        var usable = list
        if let bind = plan.localBind {
            usable = list.filter { $0.family == bind.family }
            if usable.isEmpty {
                lastError = InetError(
                    .addressFamilyNotSupported,
                    "\(plan.host) has no \(bind.family) address, the family of localAddress \(bind.ipAddress)",
                    host: plan.host)
            }
        }
        let addresses = AddressOrdering.order(
            usable, preferIPv6: plan.options.contains(.preferIPv6), machineHasIPv6: AddressOrdering.machineHasIPv6)
        if case .pending = resolution { resolution = .resolved(addresses) }
        attempts = addresses.map { Attempt(address: $0) }
        apply(machine.resolved(count: attempts.count))
    }

    // MARK: machine actions

    private func apply(_ actions: HappyEyeballs.Actions) {
        guard !applying else { return queuedActions.append(contentsOf: actions) }
        applying = true
        defer { applying = false }
        for action in actions { perform(action) }
        var next = 0
        while next < queuedActions.count {
            let action = queuedActions[next]
            next += 1
            perform(action)
        }
        queuedActions = HappyEyeballs.Actions()
    }

    private func perform(_ action: HappyEyeballs.Action) {
        switch action {
        case .startAttempt(let index): startAttempt(index)
        case .armStagger:
            staggerTimer = plan.loop.scheduleInLoop(at: .after(plan.happyEyeballsDelay)) { [self] in
                apply(machine.staggerElapsed())
            }
        case .disarmStagger:
            staggerTimer?.cancel()
            staggerTimer = nil
        case .closeAttempt(let index):
            // The operation closes it, so the socket does not report back.
            takeCore(index)?.closeNow(nil, tellOwner: false)
        case .startHandshake(let index): startHandshake(index)
        case .succeed(let index):
            guard let core = takeCore(index) else { return assertionFailure("succeeded without a socket") }
            if let logger = plan.logger {
                core.logger = logger
                logger.debug("connected", metadata: metadata(attempt: index))
            }
            if let metrics {
                metrics.clientOpened.increment()
                metrics.connectDuration.recordNanoseconds(
                    Int64(clamping: Deadline.now().uptimeNanoseconds - beganAt.uptimeNanoseconds))
                core.metrics = .client(metrics)
            }
            finish(.success(Connection(core: core, host: plan.host, ioTimeout: plan.ioTimeout)))
        case .fail(let reason):
            let error = error(for: reason)
            plan.logger?.debug("connect failed", metadata: metadata(["inet.error": .string(error.description)]))
            metrics?.connectFailed(error.code)
            finish(.failure(error))
        }
    }

    /// Log metadata: the host and port, an attempt's address, and `extra`.
    private func metadata(attempt index: Int? = nil, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata = extra
        metadata["inet.host"] = .string(plan.host)
        metadata["inet.port"] = .stringConvertible(plan.port)
        if let index {
            metadata["inet.attempt"] = .stringConvertible(index + 1)
            metadata["inet.address"] = .string(attempts[index].address.ipAddress)
        }
        return metadata
    }

    private func startAttempt(_ index: Int) {
        let address = attempts[index].address
        attempts[index].started = true
        plan.logger?.debug("attempt started", metadata: metadata(attempt: index))
        do throws(InetError) {
            let descriptor = try openSocket(for: address)
            let immediately = try descriptor.startConnect(to: address)
            let core = ConnectionCore(
                loop: plan.loop, descriptor: descriptor, protocol: plan.proto,
                state: .connecting(self, attempt: index), highWater: plan.writeBufferLimit)
            core.closeOnExec = plan.options.contains(.noInherit)
            core.knownRemoteAddress = address
            core.host = plan.host
            try core.register()
            attempts[index].core = core
            if immediately { core.connectedImmediately() }
        } catch {
            lastError = error
            attempts[index].failure = error.code
            plan.logger?.debug(
                "attempt failed", metadata: metadata(attempt: index, ["inet.error": .string(error.description)]))
            apply(machine.attemptFailed(index))
        }
    }

    // MARK: results from the sockets

    /// An attempt's TCP connect ended (from its `ConnectionCore`, once: the socket has left
    /// `connecting` before it reports).
    func attemptEnded(_ index: Int, _ result: AttemptResult) {
        switch result {
        case .connected:
            plan.logger?.debug("attempt connected", metadata: metadata(attempt: index))
            apply(machine.attemptSucceeded(index))
        case .failed(errno: let value):
            attempts[index].core = nil
            attempts[index].failure = InetErrorCode(errno: value)
            lastError = InetError.system("connect to \(attempts[index].address)", errno: value, host: plan.host)
            plan.logger?.debug(
                "attempt failed",
                metadata: metadata(attempt: index, ["inet.error": .string(lastError?.description ?? "")]))
            apply(machine.attemptFailed(index))
        }
    }

    /// How an attempt's TCP connect ended.
    enum AttemptResult {
        case connected
        case failed(errno: Int32)
    }

    /// The winner's TLS handshake ended (from its `ConnectionCore`, once).
    func handshakeEnded(_ result: Result<ConnectionCore, InetError>) {
        if case .failure(let error) = result { lastError = error }
        if let metrics, case .success = result {
            metrics.handshakeDuration.recordNanoseconds(
                Int64(clamping: Deadline.now().uptimeNanoseconds - handshakeBeganAt.uptimeNanoseconds))
        }
        if let logger = plan.logger {
            switch result {
            case .success(let core):
                if let engine = core.tls {
                    let info = TLSInfo(engine)
                    logger.debug(
                        "TLS established",
                        metadata: metadata([
                            "inet.tls.version": .string(info.version), "inet.tls.cipher": .string(info.cipher),
                            "inet.tls.verified": .stringConvertible(info.peerVerified),
                            "inet.tls.resumed": .stringConvertible(info.resumed),
                            "inet.tls.alpn": .string(info.applicationProtocol ?? "none"),
                        ]))
                }
            case .failure(let error):
                logger.debug("TLS handshake failed", metadata: metadata(["inet.error": .string(error.description)]))
            }
        }
        apply(machine.handshakeEnded(succeeded: (try? result.get()) != nil))
    }

    private func startHandshake(_ index: Int) {
        guard let core = attempts[index].core, let context = plan.tlsContext else {
            return assertionFailure("no socket to secure")
        }
        // Connected means secured: the handshake runs under the same overall deadline.
        do throws(TLSError) {
            let engine = try TLSEngine(context: context, serverName: plan.host)
            if context.configuration.credentials.sessionResumption {
                let key = TLSSessionCache.Key(context: context.serial, host: plan.host, port: plan.port)
                if let session = TLSSessionCache.session(for: key) { engine.offer(session) }
                core.sessionKey = key
            }
            if metrics != nil { handshakeBeganAt = .now() }
            core.startHandshake(engine, owner: .connect(self))
        } catch {
            // The handshake never began: the socket closes without telling us; the machine hears
            // the failure as the handshake's.
            takeCore(index)?.closeNow(nil, tellOwner: false)
            handshakeEnded(.failure(InetError(error, host: plan.host)))
        }
    }

    // MARK: endings

    /// Ends the operation from outside (cancel, loop shutdown) unless it already ended.
    func abort(_ error: InetError) {
        lastError = error
        apply(machine.aborted())
    }

    /// The one ending: takes the completion (a second ending traps in debug builds and does
    /// nothing otherwise), stops the timers, closes every socket still open, completes.
    private func finish(_ result: Result<Connection, InetError>) {
        guard let completion = completion.take() else {
            return assertionFailure("connect to \(plan.host) completed twice")
        }
        staggerTimer?.cancel()
        deadlineTimer?.cancel()
        resolverTask?.cancel()
        resolverTask = nil
        for index in attempts.indices { takeCore(index)?.closeNow(nil, tellOwner: false) }
        plan.loop.untrack(self)
        plan.operation = nil
        completion.complete(result)
    }

    /// The error for a failed connect, with the resolution outcome and every attempt tried —
    /// built here and nowhere else.
    private func error(for reason: HappyEyeballs.Failure) -> InetError {
        var error: InetError
        switch reason {
        case .noAddress, .attemptsFailed:
            error = lastError ?? InetError(.hostNotFound, "\(plan.host) has no address to connect to", host: plan.host)
            if error.code != .timedOut {
                error.message = "cannot connect to \(plan.host) port \(plan.port): \(error.message)"
            }
        case .timedOut(securing: nil):
            error = InetError(
                .timedOut, "connect to \(plan.host) port \(plan.port) timed out after \(plan.timeout)", host: plan.host)
        case .timedOut(securing: let index?):
            attempts[index].failure = .timedOut
            error = InetError(
                .timedOut, "TLS handshake with \(plan.host) port \(plan.port) did not finish within \(plan.timeout)",
                host: plan.host)
        case .handshakeFailed(let index):
            error = lastError ?? InetError(.tlsHandshakeFailed, "TLS handshake failed", host: plan.host)
            attempts[index].failure = error.code
        case .aborted:
            error = lastError ?? InetError(.cancelled, "connect to \(plan.host) port \(plan.port) was cancelled")
        }
        error.host = plan.host
        error.resolution = resolution
        // Attempts start in address order, so the started ones in index order are in start order.
        error.attempts = attempts.filter(\.started).map { ConnectAttempt(address: $0.address, failure: $0.failure) }
        return error
    }

    /// Removes and returns attempt `index`'s socket, if it still runs.
    private func takeCore(_ index: Int) -> ConnectionCore? {
        guard let core = attempts[index].core else { return nil }
        attempts[index].core = nil
        return core
    }

    /// One address's attempt: its socket while it runs (through its handshake), how it
    /// failed, and whether it was started (for the error's "tried" list).
    private struct Attempt {
        let address: SocketAddress
        var core: ConnectionCore?
        var failure: InetErrorCode?
        var started = false

        init(address: SocketAddress) { self.address = address }
    }
}
