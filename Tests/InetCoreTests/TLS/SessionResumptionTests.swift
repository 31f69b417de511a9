import InetTestSupport
import InetTLS
import Testing
@testable import InetCore

/// Client session resumption (credentials' `sessionResumption`) against `openssl s_server`, which
/// keeps sessions and sends TLS 1.3 tickets by default.
@Suite struct SessionResumptionTests {
    static func exchange(_ connector: Connector) async throws -> TLSInfo? {
        let connection = try await connector.connect()
        try await connection.write("ping\n")
        var got: [UInt8] = []
        while !got.contains(UInt8(ascii: "\n")) {  // the reply comes after the tickets
            let bytes = try await connection.read()
            if bytes.isEmpty { break }
            got += bytes
        }
        #expect(String(decoding: got, as: UTF8.self) == "gnip\n")
        try await connection.close()
        return connection.tls
    }

    @Test func secondConnectResumesOnlyWhenAskedTo() async throws {
        let server = try Peer([
            "openssl", "s_server", "-accept", "127.0.0.1:0", "-rev", "-naccept", "4",
            "-cert", TestCertificates.path("server.pem"), "-key", TestCertificates.path("server.key"),
        ])
        defer { server.stop() }
        let line = try server.waitForStdout(containing: "ACCEPT")
        let port = try #require(Int(line.split(separator: ":").last ?? ""))
        var resuming = SecureConnectTests.connector(port)
        resuming.credentials?.sessionResumption = true
        let first = try await Self.exchange(resuming)
        #expect(first?.resumed == false)
        #expect(first?.peerVerified == true)
        let second = try await Self.exchange(resuming)
        #expect(second?.resumed == true)  // the session from the first connect, offered and taken
        let fresh = try await Self.exchange(SecureConnectTests.connector(port))
        #expect(fresh?.resumed == false)  // off by default
    }
}
