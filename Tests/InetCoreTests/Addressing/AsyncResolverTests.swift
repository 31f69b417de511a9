import InetTestSupport
import Synchronization
import Testing
@testable import InetCore

/// `Resolver`'s async requirement (issue 14): a resolver that awaits answers a connect; when the
/// connect ends first (its timeout, the caller's cancellation) the lookup's task is cancelled.
/// The resolvers are fakes on purpose: the stage under test is the connect's handling of an
/// async lookup, not name resolution.
@Suite(.timeLimit(.minutes(1))) struct AsyncResolverTests {
    /// Answers once `release` is called; records whether its task was cancelled while waiting.
    final class GatedResolver: Resolver {
        struct State {
            var waiting: [UnsafeContinuation<Bool, Never>] = []
            var released = false
            var calls = 0
        }
        let state = Mutex(State())
        let cancelled = Atomic<Bool>(false)
        let answer: Result<[SocketAddress], InetError>
        init(answer: Result<[SocketAddress], InetError>) { self.answer = answer }

        func resolve(host: String, port: UInt16, protocol: InetProtocol) async throws(InetError) -> [SocketAddress] {
            let go = await withTaskCancellationHandler {
                await withUnsafeContinuation { (c: UnsafeContinuation<Bool, Never>) in
                    let resumeNow = state.withLock { s -> Bool in
                        s.calls += 1
                        if s.released || Task.isCancelled { return true }
                        s.waiting.append(c)
                        return false
                    }
                    if resumeNow { c.resume(returning: !Task.isCancelled) }
                }
            } onCancel: {
                cancelled.store(true, ordering: .releasing)
                for c in state.withLock({ s in
                    defer { s.waiting = [] }
                    return s.waiting
                }) { c.resume(returning: false) }
            }
            guard go else { throw InetError(.cancelled, "lookup of \(host) cancelled") }
            return try answer.get().map {
                var a = $0
                a.port = port
                return a
            }
        }

        func release() {
            for c in state.withLock({ s in
                s.released = true
                defer { s.waiting = [] }
                return s.waiting
            }) { c.resume(returning: true) }
        }

        /// Waits (bounded) until the connect's lookup task was cancelled.
        func waitForCancellation() async -> Bool {
            for _ in 0..<2000 where !cancelled.load(ordering: .acquiring) { await Task.yield() }
            return cancelled.load(ordering: .acquiring)
        }
    }

    @Test func anAwaitingResolverAnswersTheConnect() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let resolver = GatedResolver(answer: .success([SocketAddress(ipLiteral: "127.0.0.1", port: 0)!]))
        var connector = Connector(host: "service.internal", port: Int(listener.localAddress.port))
        connector.resolver = resolver
        let connecting = Task { try await connector.connect() }
        resolver.release()
        let connection = try await connecting.value
        #expect(connection.remoteAddress.ipAddress == "127.0.0.1")
        #expect(connection.host == "service.internal")
        #expect(resolver.state.withLock { $0.calls } == 1)
        let wasCancelled = resolver.cancelled.load(ordering: .acquiring)
        #expect(!wasCancelled)
        try await connection.close()
        await listener.close()
    }

    @Test func theConnectTimeoutCancelsTheLookup() async throws {
        let resolver = GatedResolver(answer: .success([]))
        var connector = Connector(host: "slow.internal", port: 9, timeout: .milliseconds(200))
        connector.resolver = resolver
        await #expect { _ = try await connector.connect() } throws: { error in
            let error = error as? InetError
            return error?.code == .timedOut && error?.description.contains("slow.internal") == true
        }
        #expect(await resolver.waitForCancellation())
    }

    @Test func cancellingTheCallerCancelsTheLookup() async throws {
        let resolver = GatedResolver(answer: .success([]))
        var connector = Connector(host: "never.internal", port: 9)
        connector.resolver = resolver
        let connecting = Task { try await connector.connect() }
        while resolver.state.withLock({ $0.calls }) == 0 { await Task.yield() }  // the lookup is waiting
        connecting.cancel()
        await #expect { _ = try await connecting.value } throws: { ($0 as? InetError)?.code == .cancelled }
        #expect(await resolver.waitForCancellation())
    }

    @Test func aResolversErrorIsTheConnectsError() async throws {
        let resolver = GatedResolver(
            answer: .failure(InetError(.hostNotFound, "no record for gone.internal", host: "gone.internal")))
        resolver.release()
        var connector = Connector(host: "gone.internal", port: 9)
        connector.resolver = resolver
        await #expect { _ = try await connector.connect() } throws: { error in
            let error = error as? InetError
            return error?.code == .hostNotFound && error?.description.contains("no record for gone.internal") == true
        }
    }

    @Test func aBlockingResolverAlsoAnswersAsync() async throws {
        let addresses =
            try await SystemResolver().resolve(host: "localhost", port: 7, protocol: .tcp) as [SocketAddress]
        #expect(addresses.contains { $0.ipAddress == "127.0.0.1" && $0.port == 7 })
        await #expect {
            _ =
                try await SystemResolver().resolve(host: "no-such-host.invalid", port: 7, protocol: .tcp)
                as [SocketAddress]
        } throws: {
            ($0 as? InetError)?.code == .hostNotFound
        }
    }
}
