import InetTLS
import InetTestSupport
import Testing
@testable import InetCore

/// `.secure` connections against `openssl s_server` and `s_client` (real peers), and Inet to Inet.
@Suite struct SecureConnectTests {
    static let ca = TestCertificates.path("ca.pem")
    static var trustCA: SecurityCredentials { SecurityCredentials(trustRootsFile: ca) }

    /// `openssl s_server` on an ephemeral loopback port, reversing each line it gets (`-rev`).
    static func sServer(
        _ cert: String = "server.pem", key: String = "server.key", extra: [String] = []
    ) throws -> (Peer, Int) {
        let peer = try Peer(
            [
                "openssl", "s_server", "-accept", "127.0.0.1:0", "-rev", "-naccept", "1",
                "-cert", TestCertificates.path(cert), "-key", TestCertificates.path(key),
            ] + extra)
        let line = try peer.waitForStdout(containing: "ACCEPT")
        guard let port = Int(line.split(separator: ":").last ?? "") else { throw PeerError("no port in '\(line)'") }
        return (peer, port)
    }

    static func connector(
        _ port: Int, host: String = "localhost", options: InetOptions = [.noInherit, .secure],
        credentials: SecurityCredentials? = trustCA, timeout: Duration = .seconds(10)
    ) -> Connector {
        var c = Connector(host: host, port: port, timeout: timeout, options: options)
        c.credentials = credentials
        return c
    }

    @Test func verifiedConnectionToSServer() async throws {
        let (server, port) = try Self.sServer()
        defer { server.stop() }
        let connection = try await Self.connector(port).connect()
        let info = try #require(connection.tls)
        #expect(info.version == "TLSv1.3")
        #expect(info.peerVerified)
        #expect(info.peerCommonName == "localhost")
        try await connection.write("hello tls\n")
        var reply: [UInt8] = []
        while !reply.contains(UInt8(ascii: "\n")) { reply += try await connection.read(timeout: .seconds(5)) }
        #expect(String(decoding: reply, as: UTF8.self) == "slt olleh\n")
    }

    @Test func failuresCarryTheirCodes() async throws {
        for (cert, key, credentials, host, code) in [
            ("server.pem", "server.key", SecurityCredentials(), "localhost", InetErrorCode.certificateUntrusted),
            ("other.pem", "other.key", Self.trustCA, "localhost", .certificateNameMismatch),
            ("expired.pem", "expired.key", Self.trustCA, "localhost", .certificateExpired),
        ] as [(String, String, SecurityCredentials, String, InetErrorCode)] {
            let (server, port) = try Self.sServer(cert, key: key)
            defer { server.stop() }
            let connector = Self.connector(port, host: host, credentials: credentials)
            await #expect { _ = try await connector.connect() } throws: { error in
                guard let error = error as? InetError else { return false }
                return error.code == code && error.legacyCode == code.legacyCode
            }
        }
    }

    @Test func tls10ServerNeedsSecureFallback() async throws {
        let legacy = ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]
        do {
            let (server, port) = try Self.sServer(extra: legacy)
            defer { server.stop() }
            await #expect { _ = try await Self.connector(port).connect() } throws: { error in
                guard let error = error as? InetError else { return false }
                return error.code == .tlsProtocolVersion && error.attempts.first?.failure == .tlsProtocolVersion
            }
        }
        let (server, port) = try Self.sServer(extra: legacy)
        defer { server.stop() }
        let connection = try await Self.connector(port, options: [.secure, .secureFallback]).connect()
        #expect(connection.tls?.version == "TLSv1")
        #expect(connection.tls?.peerVerified == true)
    }

    @Test func ipLiteralIsVerifiedAgainstIPSubjectAltNames() async throws {
        let (server, port) = try Self.sServer()
        defer { server.stop() }
        let connection = try await Self.connector(port, host: "127.0.0.1").connect()
        #expect(connection.tls?.peerVerified == true)
    }

    @Test func sniSelectsTheServersCertificate() async throws {
        // s_server presents other.example's certificate unless the client sends SNI "localhost".
        let (server, port) = try Self.sServer(
            "other.pem", key: "other.key",
            extra: [
                "-servername", "localhost", "-cert2", TestCertificates.path("server.pem"), "-key2",
                TestCertificates.path("server.key"),
            ])
        defer { server.stop() }
        let connection = try await Self.connector(port, host: "localhost").connect()
        #expect(connection.tls?.peerCommonName == "localhost")
    }

    @Test func pinsAtTheConnector() async throws {
        let (good, goodPort) = try Self.sServer()
        defer { good.stop() }
        var credentials = Self.trustCA
        credentials.pinnedKeys = [try EnginePin.of("server.pem")]
        _ = try await Self.connector(goodPort, credentials: credentials).connect()
        let (bad, badPort) = try Self.sServer()
        defer { bad.stop() }
        credentials.pinnedKeys = [try EnginePin.of("other.pem")]
        await #expect { _ = try await Self.connector(badPort, credentials: credentials).connect() } throws: {
            ($0 as? InetError)?.code == .certificatePinMismatch
        }
    }

    @Test func trustedSiteConnectsWithoutValidation() async throws {
        let (server, port) = try Self.sServer("expired.pem", key: "expired.key")
        defer { server.stop() }
        let connection = try await Self.connector(port, options: [.secure, .trustedSite], credentials: nil).connect()
        #expect(connection.tls?.peerVerified == false)
    }

    @Test func clientCertificateRequiredByServer() async throws {
        let require = ["-Verify", "1", "-verify_return_error", "-CAfile", Self.ca]
        // Without credentials: the server refuses (TLS 1.3 reports it at the first read).
        do {
            let (server, port) = try Self.sServer(extra: require)
            defer { server.stop() }
            do {
                let connection = try await Self.connector(port).connect()
                try await connection.write("x\n")
                _ = try await connection.read(timeout: .seconds(5))
                Issue.record("the server accepted a client without a certificate")
            } catch {
                #expect(error.code == .tlsHandshakeFailed, "\(error)")
                #expect(error.message.contains("certificate required"), "\(error)")
            }
        }
        for (store, name) in [
            ("client-bundle.pem", nil), ("client.p12", nil), ("client-dir", nil), ("two-identities.p12", "client-two"),
        ] as [(String, String?)] {
            let (server, port) = try Self.sServer(extra: require)
            defer { server.stop() }
            var credentials = Self.trustCA
            credentials.certificateStore = TestCertificates.path(store)
            credentials.certificateName = name
            credentials.password = TestCertificates.password
            let connection = try await Self.connector(port, credentials: credentials).connect()
            try await connection.write("abc\n")
            var reply: [UInt8] = []
            while !reply.contains(UInt8(ascii: "\n")) { reply += try await connection.read(timeout: .seconds(5)) }
            #expect(String(decoding: reply, as: UTF8.self) == "cba\n", "\(store)")
        }
    }

    @Test func inetListenerServesOpenSSLClient() async throws {
        let tls = TLSConfiguration(
            role: .server,
            credentials: SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem")))
        let listener = try Listener(address: "127.0.0.1", port: 0, tls: tls)
        let echo = Task {
            let connection = try await listener.accept()
            for try await chunk in connection.inbound { try await connection.write(chunk) }
            try await connection.close()
        }
        let client = try Peer(
            [
                "openssl", "s_client", "-connect", "127.0.0.1:\(listener.localAddress.port)", "-CAfile", Self.ca,
                "-servername", "localhost", "-verify_return_error", "-quiet", "-no_ign_eof",
            ], stdin: true)
        client.send(Array("ping through tls\n".utf8))
        try client.waitForStdout(containing: "ping through tls")
        client.closeInput()
        _ = try client.finish()
        try await echo.value
    }

    @Test func sixtyFourMiBBothWaysOverTLSBetweenInetPeers() async throws {
        let tls = TLSConfiguration(
            role: .server,
            credentials: SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem")))
        let listener = try Listener(address: "127.0.0.1", port: 0, tls: tls)
        async let server: (TestSupport.Checksum, TestSupport.Checksum) = {
            let connection = try await listener.accept()
            let result = try await TransferTests.sendAndReceive(connection)
            try await connection.close()
            return (result.sent, result.received)
        }()
        let client = try await Self.connector(Int(listener.localAddress.port)).connect()
        let (sent, received) = try await TransferTests.sendAndReceive(client)
        let (serverSent, serverReceived) = try await server
        #expect(serverReceived == sent)
        #expect(received == serverSent)
        #expect(received.count == TransferTests.total)
    }

    @Test func handshakeThatNeverAnswersTimesOut() async throws {
        // A plain TCP listener: it accepts and never speaks TLS.
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let held = Task { try await listener.accept() }
        let start = ContinuousClock.now
        await #expect {
            _ = try await Self.connector(Int(listener.localAddress.port), timeout: .seconds(1)).connect()
        } throws: { error in
            guard let error = error as? InetError else { return false }
            return error.code == .timedOut && error.message.contains("TLS handshake")
        }
        #expect(ContinuousClock.now - start < .seconds(2))
        _ = try? await held.value
    }

    @Test func credentialErrorsComeBeforeAnySocket() async throws {
        var credentials = Self.trustCA
        credentials.certificateStore = TestCertificates.path("client.p12")
        credentials.password = "wrong"
        let connector = Self.connector(9, credentials: credentials)
        #expect { try connector.validate() } throws: { ($0 as? InetError)?.code == .credentialsWrongPassword }
    }
}
