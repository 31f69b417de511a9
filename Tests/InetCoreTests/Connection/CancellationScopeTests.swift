import Testing
@testable import InetCore

/// `Connection.withCancellationScope`: one cancellation handler for a task's reads on its
/// connection's loop. A cancelled task's waiting read still ends once, with `cancelled`.
@Suite struct CancellationScopeTests {
    /// Whether `connection`'s core has a scope active (read on its loop).
    static func scopeActive(_ connection: Connection) throws -> Bool {
        let core = connection.core
        return try runOnLoop(connection.eventLoop, "scope") {
            if case .active = core.value.scope { return .success(true) }
            return .success(false)
        }
    }

    /// A read into a small buffer inside a scope: its error code (nil: it returned) and whether
    /// the scope was active when it started. `onLoop`: the caller runs on the connection's loop,
    /// so the core may be read directly.
    static func scopedRead(_ connection: Connection, onLoop: Bool) async -> (InetErrorCode?, Bool) {
        await connection.withCancellationScope { () async -> (InetErrorCode?, Bool) in
            let active =
                onLoop
                ? { if case .active = connection.core.value.scope { true } else { false } }()
                : ((try? scopeActive(connection)) ?? true)
            var buffer = [UInt8](repeating: 0, count: 16)
            do throws(InetError) {
                _ = try await connection.read(into: &buffer)
                return (nil, active)
            } catch { return (error.code, active) }
        }
    }

    /// A listener that accepts and never answers, a one-loop group, and a connection to the
    /// listener made on that loop.
    static func silentPeerOnOwnLoop() async throws -> (Listener, EventLoopGroup, EventLoop, Connection) {
        let server = try Listener(address: "127.0.0.1", port: 0)
        let group = try EventLoopGroup(loopCount: 1)
        let loop = group.loops[0]
        var connector = Connector(host: "127.0.0.1", port: Int(server.localAddress.port))
        connector.group = group
        let connection = try await Task(executorPreference: loop) { try await connector.connect() }.value
        return (server, group, loop, connection)
    }

    /// A scoped `read(into:)` waiting on the loop, cancelled at a different moment each time
    /// (after 0…9 turns of the canceller): always `cancelled`, once; no waiter is left behind and
    /// the scope is gone after each round.
    @Test func aScopedReadCancelledAtAnyMomentEndsCancelled() async throws {
        let (server, group, loop, connection) = try await Self.silentPeerOnOwnLoop()
        var outcomes: [InetErrorCode?] = []
        var scoped: [Bool] = []
        for round in 0..<100 {
            let reader = Task(executorPreference: loop) { await Self.scopedRead(connection, onLoop: true) }
            for _ in 0..<(round % 10) { await Task.yield() }
            reader.cancel()
            let (outcome, active) = await reader.value
            outcomes.append(outcome)
            scoped.append(active)
        }
        #expect(outcomes == Array(repeating: .cancelled, count: 100))
        #expect(scoped == Array(repeating: true, count: 100), "the scope was not entered")
        let core = connection.core
        let leftWaiting = try runOnLoop(loop, "pending reads") { .success(!core.value.pendingReads.isEmpty) }
        #expect(!leftWaiting)
        #expect(try !Self.scopeActive(connection))
        try await connection.close()
        try await group.shutdown()
        await server.close()
    }

    /// Off the loop (the global executor) the scope is not entered and reads keep their own
    /// handlers: cancellation still ends the read with `cancelled`.
    @Test func offTheLoopTheScopeIsNotEnteredAndCancelStillWorks() async throws {
        let server = try Listener(address: "127.0.0.1", port: 0)
        let connection = try await Connector(host: "127.0.0.1", port: Int(server.localAddress.port)).connect()
        let reader = Task { await Self.scopedRead(connection, onLoop: false) }
        reader.cancel()
        let (outcome, active) = await reader.value
        #expect(outcome == .cancelled)
        #expect(!active)
        try await connection.close()
        await server.close()
    }

    /// A nested scope runs its body without entering (the outer one covers the reads), and the
    /// body's typed error comes out as it was thrown.
    @Test func nestedScopesAndTypedErrors() async throws {
        let (server, group, loop, connection) = try await Self.silentPeerOnOwnLoop()
        let outcome = await Task(executorPreference: loop) { () async -> InetErrorCode? in
            do throws(InetError) {
                try await connection.withCancellationScope { () async throws(InetError) in
                    try await connection.withCancellationScope { () async throws(InetError) in
                        var buffer = [UInt8](repeating: 0, count: 16)
                        _ = try await connection.read(into: &buffer, timeout: .milliseconds(50))
                    }
                }
                return nil
            } catch { return error.code }
        }.value
        #expect(outcome == .timedOut)
        #expect(try !Self.scopeActive(connection))
        try await connection.close()
        try await group.shutdown()
        await server.close()
    }

    /// `serve` puts each handler in a scope: a handler reading `inbound` (which reads into its
    /// buffer on the loop) ends with `cancelled` when serving is cancelled.
    @Test func cancellingServeCancelsAScopedInboundRead() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let handlerEnded = Locked<(InetErrorCode?, Bool)?>(nil)
        let (started, startedSignal) = AsyncStream<Void>.makeStream()
        let serving = Task {
            try await listener.serve { connection in
                let active = { if case .active = connection.core.value.scope { true } else { false } }()
                startedSignal.yield()
                do throws(InetError) {
                    for try await _ in connection.inbound {}
                    handlerEnded.withLock { $0 = (nil, active) }
                } catch {
                    handlerEnded.withLock { $0 = (error.code, active) }
                }
            }
        }
        let client = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect()
        var signals = started.makeAsyncIterator()
        _ = await signals.next()  // the handler runs and waits in its read
        serving.cancel()
        try await serving.value
        let ended = handlerEnded.withLock { $0 }
        #expect(ended?.0 == .cancelled)
        #expect(ended?.1 == true, "serve did not put the handler in a scope")
        try await client.close()
        await listener.close()
    }
}
