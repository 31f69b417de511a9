import Glibc
import InetTLS
import InetTestSupport
import Metrics
import MetricsTestKit
import Testing
@testable import InetCore

/// swift-metrics (issue 14): connections opened and closed by role, failures by code, connect and
/// handshake durations, accept errors, the listener's open connections — recorded into
/// MetricsTestKit's factory; nothing without a backend.
@Suite(.serialized, .timeLimit(.minutes(2))) struct MetricsTests {
    /// Runs `body` with Inet recording into a fresh test factory, and nowhere after.
    static func recording(_ body: (TestMetrics) async throws -> Void) async rethrows {
        let metrics = TestMetrics()
        InetMetrics.useForTesting(metrics)
        defer { InetMetrics.useForTesting(nil) }
        try await body(metrics)
    }

    static func total(_ metrics: TestMetrics, _ label: String, _ dimensions: [(String, String)] = []) -> Int64 {
        (try? metrics.expectCounter(label, dimensions).totalValue) ?? 0
    }

    @Test func withoutABackendNothingIsMade() {
        #expect(MetricsSystem.factory is NOOPMetricsHandler)  // this process never bootstraps
        #expect(InetMetrics.decide() == nil)
    }

    @Test func connectionsAreCountedOpenedAndClosedOnBothSides() async throws {
        try await Self.recording { metrics in
            let listener = try Listener(address: "127.0.0.1", port: 0)
            let client = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect()
            let server = try await listener.accept()
            #expect(Self.total(metrics, "inet_connections_opened_total", [("role", "client")]) == 1)
            #expect(Self.total(metrics, "inet_connections_opened_total", [("role", "server")]) == 1)
            #expect(try metrics.expectMeter("inet_listener_connections_open").lastValue == 1)
            let durations = try metrics.expectTimer("inet_connect_duration").values
            #expect(durations.count == 1 && durations[0] > 0)
            try await client.close()
            try await server.close()
            #expect(Self.total(metrics, "inet_connections_closed_total", [("role", "client")]) == 1)
            #expect(Self.total(metrics, "inet_connections_closed_total", [("role", "server")]) == 1)
            #expect(try metrics.expectMeter("inet_listener_connections_open").lastValue == 0)
            await listener.close()
        }
    }

    @Test func failuresAreCountedByCode() async throws {
        try await Self.recording { metrics in
            let closed = try ClosedPort()
            for _ in 0..<2 {
                await #expect(throws: InetError.self) {
                    _ = try await Connector(host: "127.0.0.1", port: closed.port).connect()
                }
            }
            #expect(Self.total(metrics, "inet_connect_failures_total", [("code", "connectionRefused")]) == 2)
            #expect(Self.total(metrics, "inet_connections_opened_total", [("role", "client")]) == 0)

            let listener = try Listener(address: "127.0.0.1", port: 0)
            let connector = Connector(host: "127.0.0.1", port: Int(listener.localAddress.port), timeout: .seconds(10))
            try await SyscallScript.with([SyscallRule(.accept, .fail(EMFILE))]) {
                let waiting = try await connector.connect()
                await #expect(throws: InetError.self) { try await listener.accept(timeout: .seconds(5)) }
                try await waiting.close()
            }
            #expect(Self.total(metrics, "inet_accept_errors_total", [("code", "tooManyOpenFiles")]) == 1)
            await listener.close()
        }
    }

    @Test func tlsHandshakesAreTimed() async throws {
        try await Self.recording { metrics in
            let credentials = SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem"))
            let listener = try Listener(
                address: "127.0.0.1", port: 0, tls: TLSConfiguration(role: .server, credentials: credentials))
            var connector = Connector(
                host: "localhost", port: Int(listener.localAddress.port), timeout: .seconds(10),
                options: [.noInherit, .secure])
            connector.credentials = SecurityCredentials(trustRootsFile: TestCertificates.path("ca.pem"))
            let accepting = Task { try await listener.accept() }
            let client = try await connector.connect()
            let server = try await accepting.value
            let handshakes = try metrics.expectTimer("inet_tls_handshake_duration").values
            #expect(handshakes.count == 1 && handshakes[0] > 0)
            // The connect's duration includes its handshake.
            #expect(try metrics.expectTimer("inet_connect_duration").values.first ?? 0 >= handshakes[0])
            try await client.close()
            try await server.close()
            await listener.close()
        }
    }
}
