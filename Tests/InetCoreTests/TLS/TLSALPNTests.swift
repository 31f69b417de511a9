import InetTLS
import InetTestSupport
import Testing
@testable import InetCore

/// ALPN (RFC 7301) on clients and servers, against `openssl s_server -alpn` and `s_client -alpn`.
@Suite struct TLSALPNTests {
    @Test func clientNegotiatesH2WithSServer() async throws {
        let (server, port) = try SecureConnectTests.sServer(extra: ["-alpn", "h2,http/1.1"])
        defer { server.stop() }
        var credentials = SecureConnectTests.trustCA
        credentials.applicationProtocols = ["h2", "http/1.1"]
        let connection = try await SecureConnectTests.connector(port, credentials: credentials).connect()
        #expect(connection.tls?.applicationProtocol == "h2")
        try await connection.close()
    }

    @Test func noALPNOfferedMeansNone() async throws {
        let (server, port) = try SecureConnectTests.sServer(extra: ["-alpn", "h2"])
        defer { server.stop() }
        let connection = try await SecureConnectTests.connector(port).connect()
        #expect(connection.tls?.applicationProtocol == nil)
        try await connection.close()
    }

    @Test func serverPicksItsFirstProtocolTheClientOffers() async throws {
        var credentials = TLSPeers.serverIdentity
        credentials.applicationProtocols = ["h2", "http/1.1"]
        let server = try TLSPeers.EchoServer(TLSConfiguration(role: .server, credentials: credentials))
        let http = try await TLSPeers.sClient(server.port, ["-servername", "localhost", "-alpn", "http/1.1"])
        #expect(http.stdoutText.contains("ALPN protocol: http/1.1"), "\(http.stdoutText)")
        // The client prefers http/1.1; the server's order wins.
        let both = try await TLSPeers.sClient(server.port, ["-servername", "localhost", "-alpn", "http/1.1,h2"])
        #expect(both.stdoutText.contains("ALPN protocol: h2"), "\(both.stdoutText)")
        // A client offering only protocols the server does not speak is refused (RFC 7301 §3.2).
        let other = try await TLSPeers.sClient(server.port, ["-servername", "localhost", "-alpn", "spdy/3"], line: "")
        #expect(other.stderrText.contains("no application protocol"), "\(other.stderrText)")
        #expect(!other.stdoutText.contains("hello"))
        // Inet to Inet, with the error naming what was offered.
        var client = TLSPeers.clientCredentials
        client.applicationProtocols = ["imap"]
        await #expect {
            _ = try await SecureConnectTests.connector(server.port, credentials: client).connect()
        } throws: { error in
            guard let error = error as? InetError else { return false }
            return error.code == .tlsHandshakeFailed && error.message.contains("ALPN") && error.message.contains("imap")
        }
        client.applicationProtocols = ["http/1.1"]
        let connection = try await SecureConnectTests.connector(server.port, credentials: client).connect()
        #expect(connection.tls?.applicationProtocol == "http/1.1")
        try await connection.close()
        await server.stop()
    }

    @Test func badProtocolNamesAreRefusedUpFront() throws {
        for names in [[""], [String(repeating: "x", count: 256)]] {
            var credentials = SecureConnectTests.trustCA
            credentials.applicationProtocols = names
            #expect { try SecureConnectTests.connector(443, credentials: credentials).validate() } throws: { error in
                guard let error = error as? InetError else { return false }
                return error.code == .invalidParameter && error.message.contains("ALPN protocol names are 1…255 bytes")
            }
        }
    }
}
