import Foundation
import InetTLS
import InetTestSupport
import Testing
@testable import InetCore

/// What an Inet TLS server offers besides its certificate (issue 11): SNI identity selection,
/// optional client certificates, session tickets with rotating keys, server cipher preference,
/// key-exchange groups and configurable TLS 1.2 suites — each against `openssl s_client`.
@Suite struct TLSServerFeatureTests {
    static func server(_ change: (inout TLSConfiguration) -> Void) throws -> TLSPeers.EchoServer {
        var configuration = TLSConfiguration(role: .server, credentials: TLSPeers.serverIdentity)
        change(&configuration)
        return try TLSPeers.EchoServer(configuration)
    }

    @Test func sniChoosesTheIdentityThatNamesTheHost() async throws {
        let server = try Self.server {
            $0.additionalIdentities = [
                SecurityCredentials(
                    certificateStore: TestCertificates.path("other.pem"),
                    privateKeyFile: TestCertificates.path("other.key"))
            ]
        }
        let other = try await TLSPeers.sClient(
            server.port, ["-servername", "other.example", "-verify_hostname", "other.example"])
        #expect(other.stdoutText.contains("subject=CN = other.example"), "\(other.stdoutText)")
        #expect(other.stdoutText.contains("hello"), "\(other.stdoutText)")
        let local = try await TLSPeers.sClient(server.port, ["-servername", "localhost"])
        #expect(local.stdoutText.contains("subject=CN = localhost"), "\(local.stdoutText)")
        // No name, or a name no identity has: the default.
        let unnamed = try await TLSPeers.sClient(server.port, ["-noservername"])
        #expect(unnamed.stdoutText.contains("subject=CN = localhost"), "\(unnamed.stdoutText)")
        let unknown = try await TLSPeers.sClient(server.port, ["-servername", "nobody.example"], line: "")
        #expect(unknown.stdoutText.contains("subject=CN = localhost"), "\(unknown.stdoutText)")
        // Inet's own client, verifying the chosen certificate by name.
        var connector = SecureConnectTests.connector(server.port, host: "other.example")
        connector.resolver = FixedResolver(addresses: ["127.0.0.1"])
        let connection = try await connector.connect()
        #expect(connection.tls?.peerCommonName == "other.example")
        try await connection.close()
        await server.stop()
    }

    @Test func requestedClientCertificatesAreOptionalButVerified() async throws {
        let seen = Locked<[String]>([])
        var credentials = TLSPeers.serverIdentity
        credentials.trustRootsFile = SecureConnectTests.ca
        let listener = try Listener(
            address: "127.0.0.1", port: 0,
            tls: TLSConfiguration(
                role: .server, credentials: credentials, requestClientCertificate: true))
        let port = Int(listener.localAddress.port)
        let serving = Task {
            while let connection = try? await listener.accept() {
                seen.withLock {
                    $0.append(
                        "\(connection.tls?.peerCommonName ?? "-") verified=\(connection.tls?.peerVerified == true)")
                }
                for try await chunk in connection.inbound { try await connection.write(chunk) }
                try await connection.close()
            }
        }
        let anonymous = try await TLSPeers.sClient(port, ["-servername", "localhost"])
        #expect(anonymous.stdoutText.contains("hello"), "\(anonymous.stdoutText)")
        let named = try await TLSPeers.sClient(
            port,
            [
                "-servername", "localhost", "-cert", TestCertificates.path("client.pem"),
                "-key", TestCertificates.path("client.key"),
            ])
        #expect(named.stdoutText.contains("hello"), "\(named.stdoutText)")
        // A certificate from a CA the server was not given is refused, not ignored.
        let outsider = try await TLSPeers.sClient(
            port,
            [
                "-servername", "localhost", "-cert", TestCertificates.path("public-client.pem"),
                "-key", TestCertificates.path("public-client.key"),
            ], line: "")
        #expect(!outsider.stdoutText.contains("hello"))
        await listener.close()
        serving.cancel()
        #expect(seen.withLock { $0 } == ["- verified=false", "Inet Test Client verified=true"])
    }

    /// Tickets on (the default): a client resumes. One rotation: the old ticket still resumes
    /// (and is renewed); two: it no longer does. Tickets off: no resumption.
    @Test func ticketsResumeAcrossOneKeyRotationNotTwo() async throws {
        let context = try TLSContext(TLSConfiguration(role: .server, credentials: TLSPeers.serverIdentity))
        let server = try TLSPeers.EchoServer(context: context)
        let dir = TestCertificates.directory
        let file = "\(dir)/ticket-\(UUID().uuidString).sess"
        func sClient(_ extra: [String]) async throws -> Peer {
            try await TLSPeers.sClient(server.port, ["-servername", "localhost"] + extra)
        }
        let first = try await sClient(["-sess_out", file])
        #expect(first.stdoutText.contains("New, TLSv1.3"), "\(first.stdoutText)")
        #expect(try await sClient(["-sess_in", file]).stdoutText.contains("Reused, TLSv1.3"))
        context.rotateTicketKeys()
        #expect(try await sClient(["-sess_in", file]).stdoutText.contains("Reused, TLSv1.3"))
        context.rotateTicketKeys()
        #expect(try await sClient(["-sess_in", file]).stdoutText.contains("New, TLSv1.3"))
        await server.stop()

        let off = try Self.server { $0.sessionTickets = false }
        _ = try await TLSPeers.sClient(off.port, ["-servername", "localhost", "-sess_out", file])
        let again = try await TLSPeers.sClient(off.port, ["-servername", "localhost", "-sess_in", file])
        #expect(again.stdoutText.contains("New, TLSv1.3"), "\(again.stdoutText)")
        await off.stop()
    }

    @Test func inetClientsResumeWithAnInetServerInBothVersions() async throws {
        for version in [TLSVersion.v1_3, .v1_2] {
            let server = try Self.server { _ in }
            var credentials = SecureConnectTests.trustCA
            credentials.sessionResumption = true
            credentials.maximumVersion = version
            let connector = SecureConnectTests.connector(server.port, credentials: credentials)
            for expected in [false, true, true] {
                let connection = try await connector.connect()
                try await connection.write("x")
                _ = try await connection.read()  // the tickets (TLS 1.3) come before the echo
                #expect(connection.tls?.resumed == expected, "\(version)")
                try await connection.close()
            }
            await server.stop()
        }
    }

    @Test func theServersCipherOrderWinsUnlessTurnedOff() async throws {
        let clientOrder = [
            "-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384", "-servername",
            "localhost",
        ]
        let preferring = try Self.server { _ in }
        #expect(
            try await TLSPeers.sClient(preferring.port, clientOrder).stdoutText.contains(
                "Cipher is ECDHE-ECDSA-AES256-GCM-SHA384"))
        await preferring.stop()
        let following = try Self.server { $0.preferServerCiphers = false }
        #expect(
            try await TLSPeers.sClient(following.port, clientOrder).stdoutText.contains(
                "Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"))
        await following.stop()
    }

    @Test func groupsAreMozillaIntermediateByDefaultAndConfigurable() async throws {
        let server = try Self.server { _ in }
        let p384 = try await TLSPeers.sClient(server.port, ["-servername", "localhost", "-groups", "P-384"])
        #expect(p384.stdoutText.contains("Server Temp Key: ECDH, secp384r1"), "\(p384.stdoutText)")
        let p521 = try await TLSPeers.sClient(server.port, ["-servername", "localhost", "-groups", "P-521"], line: "")
        #expect(
            !p521.stdoutText.contains("hello") && !p521.stdoutText.contains("Server Temp Key"), "\(p521.stdoutText)")
        await server.stop()
        let custom = try Self.server { $0.credentials.groups = ["P-521"] }
        let ok = try await TLSPeers.sClient(custom.port, ["-servername", "localhost", "-groups", "P-521"])
        #expect(ok.stdoutText.contains("Server Temp Key: ECDH, secp521r1"), "\(ok.stdoutText)")
        await custom.stop()
    }

    @Test func tls12CipherListIsConfigurableAndCheckedUpFront() async throws {
        let server = try Self.server { $0.credentials.cipherList = "ECDHE-ECDSA-CHACHA20-POLY1305" }
        let client = try await TLSPeers.sClient(server.port, ["-tls1_2", "-servername", "localhost"])
        #expect(client.stdoutText.contains("Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"), "\(client.stdoutText)")
        await server.stop()
        for (change, name) in [
            ({ (c: inout SecurityCredentials) in c.cipherList = "NO-SUCH-CIPHER" }, "cipherList"),
            ({ (c: inout SecurityCredentials) in c.cipherSuites = "TLS_NOPE" }, "cipherSuites"),
            ({ (c: inout SecurityCredentials) in c.groups = ["P-999"] }, "groups"),
        ] {
            var credentials = SecureConnectTests.trustCA
            change(&credentials)
            #expect { try SecureConnectTests.connector(443, credentials: credentials).validate() } throws: { error in
                guard let error = error as? InetError else { return false }
                return error.code == .invalidParameter && error.message.contains(name)
            }
        }
    }
}
