import InetTestSupport
import Glibc
import Testing
@testable import InetCore

/// Connect outcomes on loopback, with real listeners.
@Suite struct ConnectTests {
    @Test func refusedIs10061AndNamesWhatWasTried() async throws {
        let closed = try ClosedPort()
        let port = closed.port
        do {
            _ = try await Connector(host: "127.0.0.1", port: port, timeout: .seconds(5)).connect()
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.code == .connectionRefused)
            #expect(error.legacyCode == 10061)
            #expect(error.resolution == .literal)
            #expect(
                error.attempts == [
                    ConnectAttempt(
                        address: SocketAddress(ipLiteral: "127.0.0.1", port: UInt16(port))!, failure: .connectionRefused
                    )
                ])
        }
    }

    @Test func everyAddressOfANameIsTriedAndListed() async throws {
        // "localhost" may resolve to ::1 and 127.0.0.1: both refuse, both are listed.
        let closed = try ClosedPort()
        let port = closed.port
        let error = await #expect(throws: InetError.self) {
            _ = try await Connector(host: "localhost", port: port, timeout: .seconds(5)).connect()
        }
        #expect(error?.code == .connectionRefused)
        guard case .resolved(let addresses)? = error?.resolution else {
            Issue.record("resolution not reported: \(String(describing: error))")
            return
        }
        #expect(error?.attempts.map(\.address) == addresses)
        #expect(error?.attempts.allSatisfy { $0.failure == .connectionRefused } == true)
    }

    @Test func localAddressAndPortAreWhatTheServerSees() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let localPort = try TestSupport.unusedPort()
        let client = try await Connector(
            host: "127.0.0.1", port: Int(listener.localAddress.port), localAddress: "127.0.0.2", localPort: localPort
        ).connect()
        let server = try await listener.accept()
        #expect(server.remoteAddress == SocketAddress(ipLiteral: "127.0.0.2", port: UInt16(localPort)))
        #expect(client.localAddress == server.remoteAddress)
        #expect(client.remoteAddress == server.localAddress)
    }

    @Test func socatSeesTheLocalPortToo() async throws {
        // socat reports its peer ("accepting connection from AF=2 127.0.0.3:PORT").
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        let localPort = try TestSupport.unusedPort()
        let client = try await Connector(host: "127.0.0.1", port: port, localAddress: "127.0.0.3", localPort: localPort)
            .connect()
        try socat.waitForStderr(containing: "127.0.0.3:\(localPort)")
        try await client.close()
    }

    @Test func reservedPortBindsBelow1024AsRoot() async throws {
        try #require(geteuid() == 0, "needs root (CAP_NET_BIND_SERVICE)")
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let client = try await Connector(
            host: "127.0.0.1", port: Int(listener.localAddress.port), options: [.noInherit, .reservedPort]
        ).connect()
        let server = try await listener.accept()
        #expect((512...1023).contains(Int(client.localAddress.port)))
        #expect(server.remoteAddress.port == client.localAddress.port)
    }

    @Test func localPortInUseIsAddressInUse() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let busy = try Listener(address: "127.0.0.1", port: 0)  // holds its port
        await #expect {
            _ = try await Connector(
                host: "127.0.0.1", port: Int(listener.localAddress.port),
                localAddress: "127.0.0.1", localPort: Int(busy.localAddress.port)
            ).connect()
        } throws: { ($0 as? InetError)?.code == .addressInUse }
    }

    @Test func localAddressNotOnThisMachineIsAddressNotAvailable() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        await #expect {
            // 192.0.2.1 (TEST-NET-1) is on no interface here; bind fails before any packet is sent.
            _ = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port), localAddress: "192.0.2.1")
                .connect()
        } throws: { ($0 as? InetError)?.code == .addressNotAvailable }
    }

    @Test func ipv6LoopbackWorks() async throws {
        try #require(AddressOrdering.machineHasIPv6, "needs IPv6 on this machine")
        let listener = try Listener(address: "::1", port: 0)
        let client = try await Connector(host: "::1", port: Int(listener.localAddress.port)).connect()
        #expect(client.remoteAddress.family == .ipv6)
        #expect(client.remoteAddress.description == "[::1]:\(listener.localAddress.port)")
    }

    @Test func connectCancellationFailsWithCancelled() async throws {
        let stalled = StallingResolver()
        var connector = Connector(host: "stalled.test", port: 9, timeout: .seconds(30))
        connector.resolver = stalled
        let task = Task { try await connector.connect() }
        stalled.waitUntilCalled()
        task.cancel()
        await #expect { _ = try await task.value } throws: { ($0 as? InetError)?.code == .cancelled }
        stalled.release()
    }
}
