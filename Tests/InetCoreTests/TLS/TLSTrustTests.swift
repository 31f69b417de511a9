import Foundation
import InetTLS
import InetTestSupport
import Testing
@testable import InetCore

/// Issue 11's trust defects, each against real peers: the trust an mTLS server gives client
/// certificates, host-name matching (RFC 9525), and what `.secureFallback` may weaken.
@Suite struct TLSTrustTests {
    static var inetcat: String { TestSupport.inetcatPath }

    /// An `inetcat` mTLS echo server given `ca.pem` as its client roots, whose process sees a
    /// system trust store (`SSL_CERT_FILE`) that also holds "Public Root CA".
    static func mtlsServer() throws -> (Peer, String) {
        let command =
            "SSL_CERT_FILE=\(TestCertificates.path("system-with-public-ca.pem")) exec \(inetcat) --listen --bind 127.0.0.1 "
            + "--echo --keep-open -v --secure --cert-store \(TestCertificates.path("server-bundle.pem")) --require-client-cert "
            + "--ca-file \(SecureConnectTests.ca) 0"
        let server = try Peer(["sh", "-c", command])
        let port = String(try server.waitForStderr(containing: "listening: ").split(separator: ":").last!)
        return (server, port)
    }

    /// `openssl s_client` with a client certificate, sending one line; its output and status.
    static func sClient(_ port: String, cert: String, key: String) throws -> Peer {
        let client = try Peer(
            [
                "openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", SecureConnectTests.ca,
                "-servername", "localhost", "-cert", TestCertificates.path(cert), "-key", TestCertificates.path(key),
                "-verify_return_error", "-no_ign_eof",
            ], stdin: true)
        client.send(Array("through mtls\n".utf8))
        return client
    }

    @Test func anMTLSServerTrustsOnlyTheRootsItWasGiven() throws {
        let (server, port) = try Self.mtlsServer()
        defer { server.stop() }
        // A client certificate from a CA of the system store, not of the server's roots: refused.
        let outsider = try Self.sClient(port, cert: "public-client.pem", key: "public-client.key")
        // Its stdin stays open: s_client ends only because the server refused it (before the fix
        // it was served and waited here for more input until `finish` gave up).
        _ = try outsider.finish(timeout: .seconds(10))
        #expect(!outsider.stdoutText.contains("through mtls"), "echoed to an outsider: \(outsider.stdoutText)")
        #expect(
            (outsider.stderrText + outsider.stdoutText).contains("unknown ca"),
            "stdout: \(outsider.stdoutText)\nstderr: \(outsider.stderrText)")
        // The certificate request names exactly the given roots.
        #expect(outsider.stdoutText.contains("Acceptable client certificate CA names"), "\(outsider.stdoutText)")
        #expect(
            outsider.stdoutText.contains("Inet Test CA") && !outsider.stdoutText.contains("Public Root CA"),
            "\(outsider.stdoutText)")
        // A client of the given CA is served, and named.
        let insider = try Self.sClient(port, cert: "client.pem", key: "client.key")
        try insider.waitForStdout(containing: "through mtls")
        insider.closeInput()
        _ = try insider.finish()
        try server.waitForStderr(containing: "peer=Inet Test Client verified=yes")
        #expect(!server.stderrText.contains("Public Client"), "\(server.stderrText)")
    }

    @Test func requiringClientCertificatesWithoutRootsIsRefusedUpFront() throws {
        let tls = TLSConfiguration(
            role: .server,
            credentials: SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem")),
            requireClientCertificate: true)
        #expect { _ = try Listener(address: "127.0.0.1", port: 0, tls: tls) } throws: { error in
            guard let error = error as? InetError else { return false }
            return error.code == .credentialsInvalid && error.message.contains("trustRootsFile")
        }
    }

    /// RFC 9525: a CN-only certificate and a partial wildcard do not verify; the ordinary SAN and
    /// whole-label wildcard cases go on verifying (see SecureConnectTests).
    @Test func namesComeFromSubjectAltNamesWithWholeLabelWildcardsOnly() async throws {
        // The third: a CN-only "localhost" leaf from an intermediate constrained to example.test
        // (a CN without a dot escapes OpenSSL's CN-under-constraints check).
        let chain = ["-cert_chain", TestCertificates.path("constrained-ca.pem")]
        for (cert, host, extra) in [
            ("cn-only", "localhost", []), ("partial-wildcard", "foo.example.test", []),
            ("constrained-leaf", "localhost", chain),
        ] {
            let (server, port) = try SecureConnectTests.sServer("\(cert).pem", key: "\(cert).key", extra: extra)
            defer { server.stop() }
            var connector = SecureConnectTests.connector(port, host: host)
            connector.resolver = FixedResolver(addresses: ["127.0.0.1"])
            await #expect { _ = try await connector.connect() } throws: { error in
                guard let error = error as? InetError else { return false }
                return error.code == .certificateNameMismatch
            }
        }
    }

    /// `.secureFallback` widens versions and suites, not certificate judgement: RSA-1024 and
    /// SHA-1 leaves are refused with and without it, while a TLS 1.0-only server still connects.
    @Test func fallbackDoesNotWeakenCertificateChecks() async throws {
        for (cert, fallback) in [("rsa1024", false), ("rsa1024", true), ("sha1", false), ("sha1", true)] {
            let (server, port) = try SecureConnectTests.sServer(
                "\(cert).pem", key: "\(cert).key",
                extra: ["-cipher", "DEFAULT@SECLEVEL=0"])
            defer { server.stop() }
            let options: InetOptions = fallback ? [.secure, .secureFallback] : [.secure]
            await #expect("\(cert) fallback=\(fallback)") {
                _ = try await SecureConnectTests.connector(port, options: options).connect()
            } throws: { error in
                guard let error = error as? InetError else { return false }
                return error.code == .certificateUntrusted || error.code == .tlsHandshakeFailed
            }
        }
        // Fallback offers forward-secret suites only: a TLS 1.0 server with RSA key exchange alone
        // finds no shared suite; with ECDHE it connects.
        do {
            let (server, port) = try SecureConnectTests.sServer(
                "rsa2048.pem", key: "rsa2048.key", extra: ["-tls1", "-cipher", "AES128-SHA@SECLEVEL=0"])
            defer { server.stop() }
            await #expect {
                _ = try await SecureConnectTests.connector(port, options: [.secure, .secureFallback]).connect()
            } throws: { error in
                (error as? InetError)?.code == .tlsHandshakeFailed || (error as? InetError)?.code == .tlsProtocolVersion
            }
        }
        let (server, port) = try SecureConnectTests.sServer(
            "rsa2048.pem", key: "rsa2048.key", extra: ["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA@SECLEVEL=0"])
        defer { server.stop() }
        let connection = try await SecureConnectTests.connector(port, options: [.secure, .secureFallback]).connect()
        #expect(connection.tls?.version == "TLSv1")
        #expect(connection.tls?.cipher == "ECDHE-RSA-AES128-SHA", "\(String(describing: connection.tls?.cipher))")
        #expect(connection.tls?.peerVerified == true)
        try await connection.close()
    }

    /// A server-initiated renegotiation (`openssl s_server`'s `r` command over TLS 1.2) is
    /// refused: the client answers no_renegotiation and the connection ends, instead of a second
    /// handshake running after the first one's checks.
    @Test func clientsRefuseServerInitiatedRenegotiation() async throws {
        let server = try Peer(
            [
                "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-tls1_2",
                "-cert", TestCertificates.path("server.pem"), "-key", TestCertificates.path("server.key"),
            ], stdin: true)
        defer { server.stop() }
        let line = try server.waitForStdout(containing: "ACCEPT")
        let port = try #require(Int(line.split(separator: ":").last ?? ""))
        let connection = try await SecureConnectTests.connector(port).connect()
        #expect(connection.tls?.version == "TLSv1.2")
        try await connection.write("before\n")
        try server.waitForStdout(containing: "before")
        server.send(Array("r\n".utf8))  // s_server: renegotiate
        // The HelloRequest arrives with the next read: refused, the connection ends (an error
        // or the end of stream) — not a renegotiated connection that goes on waiting for data.
        var ended = false
        do {
            let bytes = try await connection.read(timeout: .seconds(10))
            ended = bytes.isEmpty
        } catch {
            ended = error.code != .timedOut
        }
        #expect(ended, "the connection renegotiated and went on")
        try? await connection.close()
    }
}
