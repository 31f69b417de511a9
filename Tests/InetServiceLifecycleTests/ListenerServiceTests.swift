import Glibc
import InetCore
import InetServiceLifecycle
import InetTestSupport
import Logging
import ServiceLifecycle
import Testing

/// ServiceLifecycle (issue 14): a listener served as a `Service` in a `ServiceGroup` — a real
/// SIGTERM stops accepting, connections in progress finish within the grace period, the rest
/// are closed after it, the loop group shuts down last; cancellation closes everything.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ListenerServiceTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// An echo handler: returns at the client's end.
    static let echo: @Sendable (Connection) async throws -> Void = { connection in
        for try await chunk in connection.inbound { try await connection.write(chunk) }
    }

    /// Connects until refused (the listener closed), at most 10 s; true when refused.
    ///
    /// A probe that the kernel completed from the listen backlog just before the listener
    /// closed is reset (ECONNRESET at connect); that is the closing in progress, so it probes
    /// again. Any other error is a failure, printed.
    static func refusedSoon(_ port: Int) async -> Bool {
        let deadline = Deadline.after(.seconds(10))
        while deadline.remaining > .zero {
            do {
                let probe = try await Connector(host: "127.0.0.1", port: port, timeout: .seconds(2)).connect()
                try? await probe.close()
                await Task.yield()
            } catch  where error.code == .connectionRefused {
                return true
            } catch  where error.code == .connectionReset || error.code == .connectionAborted {
                await Task.yield()
            } catch {
                print("refusedSoon: unexpected \(error)")
                return false
            }
        }
        return false
    }

    @Test func sigtermDrainsThenStopsTheGroupLast() async throws {
        let loops = try EventLoopGroup(loopCount: 1)
        let listener = try Listener(address: "127.0.0.1", port: 0, group: loops)
        let port = Int(listener.localAddress.port)
        let service = ListenerService(listener: listener, gracePeriod: .seconds(20), handler: Self.echo)
        let serviceGroup = ServiceGroup(
            services: [EventLoopGroupService(group: loops), service], gracefulShutdownSignals: [.sigterm],
            logger: Self.quiet)
        let running = Task { try await serviceGroup.run() }

        let client = try await Connector(host: "127.0.0.1", port: port, timeout: .seconds(5)).connect()
        try await client.write("before")
        #expect(try await client.read(timeout: .seconds(5)) == Array("before".utf8))  // served: the signals are trapped
        #expect(kill(getpid(), SIGTERM) == 0)
        // No longer accepting, but the connection in progress is still served.
        #expect(await Self.refusedSoon(port))
        try await client.write("during")
        #expect(try await client.read(timeout: .seconds(5)) == Array("during".utf8))
        #expect(service.openConnections == 1)
        // The client ends: the service drains and returns, then the group shuts its loops down.
        try await client.shutdown(.output)
        #expect(try await client.read(timeout: .seconds(5)) == [])
        try await running.value
        #expect(!loops.next().execute {})  // shut down
        try await client.close()
    }

    @Test func connectionsStillOpenAfterTheGracePeriodAreClosed() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let service = ListenerService(listener: listener, gracePeriod: .milliseconds(200), handler: Self.echo)
        let serviceGroup = ServiceGroup(services: [service], gracefulShutdownSignals: [], logger: Self.quiet)
        let running = Task { try await serviceGroup.run() }
        let client = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port), timeout: .seconds(5))
            .connect()
        try await client.write("x")
        #expect(try await client.read(timeout: .seconds(5)) == Array("x".utf8))
        await serviceGroup.triggerGracefulShutdown()
        // An idle client: after the grace period the server closes it (the client reads its end).
        #expect(try await client.read(timeout: .seconds(10)) == [])
        try await running.value
        #expect(service.openConnections == 0)
        try await client.close()
    }

    @Test func cancellingTheRunClosesEverythingAtOnce() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let port = Int(listener.localAddress.port)
        let service = ListenerService(listener: listener, gracePeriod: .seconds(60), handler: Self.echo)
        let serviceGroup = ServiceGroup(services: [service], gracefulShutdownSignals: [], logger: Self.quiet)
        let running = Task { try await serviceGroup.run() }
        let client = try await Connector(host: "127.0.0.1", port: port, timeout: .seconds(5)).connect()
        try await client.write("y")
        #expect(try await client.read(timeout: .seconds(5)) == Array("y".utf8))
        running.cancel()
        _ = try? await running.value  // ends (well before the 60 s grace period)
        let end = try? await client.read(timeout: .seconds(10))
        #expect(end == [] || end == nil)  // closed by the server
        #expect(await Self.refusedSoon(port))
        try await client.close()
    }
}
