import CInetLinux
import Glibc
import InetTLS

/// One connect in progress on a loop: resolves (off the loop), runs Happy Eyeballs across the
/// addresses, enforces the overall deadline, and completes exactly once.
/// Invariant: every method but `start`/`cancel` runs on `plan.loop`'s thread.
final class ConnectOperation {
    let plan: ConnectPlan
    private let completion: Completion<Connection>
    private var machine = HappyEyeballs()
    private var addresses: [SocketAddress] = []
    /// Per address index (sized once the addresses are known): the attempt's socket while it
    /// runs, and how it failed.
    private var cores: [ConnectionCore?] = []
    private var failures: [InetErrorCode?] = []
    /// Indices of the attempts started, in order (for the error's "tried" list).
    private var started: [Int] = []
    private var lastError: InetError?
    private var resolution = ResolutionOutcome.pending
    private var staggerTimer: ScheduledTask?
    private var deadlineTimer: ScheduledTask?
    private var finished = false
    /// The winning socket while its TLS handshake runs (secure connects only).
    private var handshaking: ConnectionCore?
    private var handshakingIndex: Int?

    private init(plan: ConnectPlan, completion: Completion<Connection>) {
        self.plan = plan
        self.completion = completion
    }

    /// Starts a connect for `plan` on its loop; `completion` gets the result.
    static func start(_ plan: ConnectPlan, _ completion: Completion<Connection>) {
        let loop = plan.loop
        let submitted = loop.execute {
            let operation = ConnectOperation(plan: plan, completion: completion)
            plan.operation = operation
            operation.begin()
        }
        if !submitted { completion.fail(InetError(.eventLoopShutdown, "the event loop was shut down")) }
    }

    /// Cancels the connect of `plan`, if it is still running.
    static func cancel(plan: ConnectPlan) {
        plan.loop.execute {
            plan.operation?.fail(InetError(.cancelled, "connect to \(plan.host) port \(plan.port) was cancelled"))
        }
    }

    private func begin() {
        do {
            try plan.loop.track(self)
        } catch {
            return completion.fail(error)
        }
        // The timers hold the operation strongly (a weak capture would give every connect a
        // side-table allocation); `end()`, which every ending goes through, cancels both, and a
        // loop shutdown fails the operation (so ends it) and drops all timers.
        deadlineTimer = plan.loop.scheduleInLoop(at: .after(plan.timeout)) { [self] in deadlineReached() }
        if let literal = plan.literal {
            resolution = .literal
            return resolved([literal])
        }
        let transfer = UnsafeTransfer(self)
        let (host, port, proto, resolver, loop) = (plan.host, plan.port, plan.proto, plan.resolver, plan.loop)
        BlockingPool.shared.submit {
            let result: Result<[SocketAddress], InetError>
            do throws(InetError) {
                result = .success(try resolver.resolve(host: host, port: port, protocol: proto))
            } catch {
                result = .failure(error)
            }
            loop.execute { transfer.value.resolutionFinished(result) }
        }
    }

    private func resolutionFinished(_ result: Result<[SocketAddress], InetError>) {
        guard !finished else { return }
        switch result {
        case .success(let list):
            resolved(list.map { var a = $0; a.port = plan.port; return a })
        case .failure(let error):
            resolution = .failed(error.code, error.message)
            lastError = error
            apply(machine.resolved(count: 0))
        }
    }

    private func resolved(_ list: [SocketAddress]) {
        var usable = list
        if let bind = plan.localBind {
            usable = list.filter { $0.family == bind.family }
            if usable.isEmpty {
                lastError = InetError(
                    .addressFamilyNotSupported,
                    "\(plan.host) has no \(bind.family) address, the family of localAddress \(bind.ipAddress)", host: plan.host)
            }
        }
        addresses = AddressOrdering.order(
            usable, preferIPv6: plan.options.contains(.preferIPv6), machineHasIPv6: AddressOrdering.machineHasIPv6)
        if case .pending = resolution { resolution = .resolved(addresses) }
        cores = Array(repeating: nil, count: addresses.count)
        failures = Array(repeating: nil, count: addresses.count)
        apply(machine.resolved(count: addresses.count))
    }

    // MARK: machine actions

    private func apply(_ actions: [HappyEyeballs.Action]) {
        for action in actions {
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
                takeCore(index)?.closeNow(nil)
            case .succeed(let index): succeed(index)
            case .fail: failAll()
            }
        }
    }

    private func startAttempt(_ index: Int) {
        let address = addresses[index]
        started.append(index)
        do throws(InetError) {
            let descriptor = try openSocket(for: address)
            let immediately = try descriptor.startConnect(to: address)
            let core = ConnectionCore(
                loop: plan.loop, descriptor: descriptor, protocol: plan.proto,
                phase: .connecting(self, attempt: index), highWater: plan.writeBufferLimit)
            core.closeOnExec = plan.options.contains(.noInherit)
            core.knownRemoteAddress = address
            try core.register()
            cores[index] = core
            if immediately { core.connectedImmediately() }
        } catch {
            lastError = error
            failures[index] = error.code
            apply(machine.attemptFailed(index))
        }
    }

    /// Makes and prepares the socket for one attempt: options, then the local bind.
    private func openSocket(for address: SocketAddress) throws(InetError) -> SocketDescriptor {
        let descriptor = try SocketDescriptor(
            family: address.family, protocol: plan.proto, closeOnExec: plan.options.contains(.noInherit))
        // TLS writes whole records; with Nagle, the first record after the handshake would wait
        // for a delayed ACK (40 ms). Secure connections always set TCP_NODELAY.
        try descriptor.apply(plan.tlsContext == nil ? plan.options : plan.options.union(.noDelay), protocol: plan.proto)
        let bindIP = plan.localBind ?? .any(address.family, port: 0)
        switch plan.localPortMode {
        case .any:
            if plan.localBind != nil { try descriptor.bind(bindIP) }
        case .explicit(let port):
            // Lets Happy Eyeballs attempts of one family share the port while both are in flight.
            try descriptor.setOption(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            var local = bindIP
            local.port = port
            try descriptor.bind(local)
        case .reserved:
            try Self.bindReservedPort(descriptor, bindIP)
        }
        return descriptor
    }

    /// Binds the first free port of 512…1023, starting at a random one.
    private static func bindReservedPort(_ descriptor: borrowing SocketDescriptor, _ base: SocketAddress) throws(InetError) {
        let range = 512...1023
        let start = Int.random(in: range)
        for step in 0..<range.count {
            var local = base
            local.port = UInt16(range.lowerBound + (start - range.lowerBound + step) % range.count)
            do throws(InetError) {
                try descriptor.bind(local)
                return
            } catch where error.code == .addressInUse {
                continue
            } catch where error.code == .permissionDenied {
                throw InetError(
                    .permissionDenied, "reservedPort needs CAP_NET_BIND_SERVICE to bind a port below 1024", errno: EACCES)
            }
        }
        throw InetError(.addressInUse, "reservedPort: every port of 512…1023 is in use")
    }

    // MARK: attempt results (from ConnectionCore)

    func attemptSucceeded(_ index: Int) {
        apply(machine.attemptSucceeded(index))
    }

    func attemptFailed(_ index: Int, errno value: Int32) {
        cores[index] = nil
        failures[index] = InetErrorCode(errno: value)
        lastError = InetError.system("connect to \(addresses[index])", errno: value, host: plan.host)
        apply(machine.attemptFailed(index))
    }

    // MARK: endings

    private func succeed(_ index: Int) {
        guard let core = takeCore(index) else { return }
        core.host = plan.host
        if let context = plan.tlsContext {
            // Connected means secured: the handshake runs under the same overall deadline.
            do throws(TLSError) {
                let engine = try TLSEngine(context: context, serverName: plan.host)
                if context.configuration.credentials.sessionResumption {
                    let key = TLSSessionCache.Key(context: ObjectIdentifier(context), host: plan.host, port: plan.port)
                    if let session = TLSSessionCache.session(for: key) { engine.offer(session) }
                    core.sessionKey = key
                }
                handshaking = core
                handshakingIndex = index
                core.startHandshake(engine, owner: .connect(self))
            } catch {
                core.closeNow(nil)
                end()
                completion.fail(InetError(error, host: plan.host))
            }
            return
        }
        end()
        let connection = Connection(core: core, host: plan.host, ioTimeout: plan.ioTimeout)
        completion.succeed(connection)
    }

    /// The TLS handshake of the winning socket ended.
    func handshakeFinished(_ core: ConnectionCore, _ result: Result<Void, InetError>) {
        guard !finished, handshaking === core else { return }
        handshaking = nil
        end()
        switch result {
        case .success:
            completion.succeed(Connection(core: core, host: plan.host, ioTimeout: plan.ioTimeout))
        case .failure(var error):
            if let index = handshakingIndex { failures[index] = error.code }
            error.resolution = resolution
            error.attempts = attemptRecords()
            completion.fail(error)
        }
    }

    private func deadlineReached() {
        if let core = handshaking {
            handshaking = nil
            core.closeNow(nil)
            if let index = handshakingIndex { failures[index] = .timedOut }
            var error = InetError(
                .timedOut, "TLS handshake with \(plan.host) port \(plan.port) did not finish within \(plan.timeout)", host: plan.host)
            error.resolution = resolution
            error.attempts = attemptRecords()
            end()
            return completion.fail(error)
        }
        let actions = machine.timedOut()
        guard !actions.isEmpty else { return }
        var error = InetError(
            .timedOut, "connect to \(plan.host) port \(plan.port) timed out after \(plan.timeout)", host: plan.host)
        error.resolution = resolution
        error.attempts = attemptRecords()
        lastError = error
        apply(actions)
    }

    private func failAll() {
        var error = lastError ?? InetError(.hostNotFound, "\(plan.host) has no address to connect to", host: plan.host)
        if error.code != .timedOut {
            error.message = "cannot connect to \(plan.host) port \(plan.port): \(error.message)"
        }
        error.host = plan.host
        error.resolution = resolution
        error.attempts = attemptRecords()
        end()
        completion.fail(error)
    }

    /// Ends the operation early (cancel, loop shutdown) unless it already ended.
    func fail(_ error: InetError) {
        guard !finished else { return }
        var error = error
        error.resolution = resolution
        error.attempts = attemptRecords()
        closeAttempts()
        handshaking?.closeNow(nil)
        handshaking = nil
        end()
        completion.fail(error)
    }

    private func end() {
        finished = true
        staggerTimer?.cancel()
        deadlineTimer?.cancel()
        closeAttempts()
        plan.loop.untrack(self)
        plan.operation = nil
    }

    /// Removes and returns attempt `index`'s socket, if it still runs.
    private func takeCore(_ index: Int) -> ConnectionCore? {
        guard cores.indices.contains(index), let core = cores[index] else { return nil }
        cores[index] = nil
        return core
    }

    /// Closes every running attempt's socket.
    private func closeAttempts() {
        for index in cores.indices { takeCore(index)?.closeNow(nil) }
    }

    /// Every attempt started, with its failure; `nil` for one still waiting for an answer.
    private func attemptRecords() -> [ConnectAttempt] {
        started.map { ConnectAttempt(address: addresses[$0], failure: failures[$0]) }
    }
}
