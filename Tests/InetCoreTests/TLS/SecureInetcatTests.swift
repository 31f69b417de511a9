import InetTLS
import InetTestSupport
import Testing
@testable import InetCore

/// inetcat's TLS flags and its `tls:` line, against openssl s_server and an Inet TLS listener.
@Suite struct SecureInetcatTests {
    static var inetcat: String { TestSupport.inetcatPath }

    @Test func verboseTLSLineAgainstSServer() throws {
        let (server, port) = try SecureConnectTests.sServer()
        defer { server.stop() }
        let cat = try Peer(
            [Self.inetcat, "-v", "--secure", "--ca-file", SecureConnectTests.ca, "localhost", "\(port)"], stdin: true)
        cat.send(Array("abc\n".utf8))
        try cat.waitForStdout(containing: "cba")
        cat.closeInput()
        _ = try cat.finish()
        #expect(
            InetcatTests.matches(
                cat.stderrText, #"tls: version=TLSv1\.3 cipher=TLS_[A-Z0-9_]+ peer=localhost verified=yes"#),
            "\(cat.stderrText)")
    }

    @Test func untrustedExitsOneWithItsCode() throws {
        let (server, port) = try SecureConnectTests.sServer()
        defer { server.stop() }
        let cat = try Peer([Self.inetcat, "--secure", "localhost", "\(port)"])
        #expect(try cat.finish() == 1)
        #expect(cat.stderrText.contains("(code \(InetErrorCode.certificateUntrusted.legacyCode))"), "\(cat.stderrText)")
        #expect(cat.stderrText.contains("not trusted"), "\(cat.stderrText)")
    }

    @Test func trustedSiteAndPins() throws {
        let (server, port) = try SecureConnectTests.sServer()
        defer { server.stop() }
        let cat = try Peer([
            Self.inetcat, "-v", "--secure", "--trusted-site", "--pin", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "localhost", "\(port)",
        ])
        #expect(try cat.finish() == 1)
        #expect(
            cat.stderrText.contains("(code \(InetErrorCode.certificatePinMismatch.legacyCode))"), "\(cat.stderrText)")
    }

    @Test func listenSecureRequiringClientCertificates() throws {
        let server = try Peer([
            Self.inetcat, "--listen", "--bind", "127.0.0.1", "--echo", "--keep-open", "-v", "--secure",
            "--cert-store", TestCertificates.path("server-bundle.pem"), "--require-client-cert",
            "--ca-file", SecureConnectTests.ca, "0",
        ])
        defer { server.stop() }
        let port = String(try server.waitForStderr(containing: "listening: ").split(separator: ":").last!)
        let client = try Peer(
            [
                Self.inetcat, "-v", "--secure", "--ca-file", SecureConnectTests.ca,
                "--cert-store", TestCertificates.path("two-identities.p12"), "--cert-name", "client-two",
                "--cert-password", TestCertificates.password, "localhost", port,
            ], stdin: true)
        client.send(Array("with a client certificate".utf8))
        try client.waitForStdout(containing: "with a client certificate")
        client.closeInput()
        #expect(try client.finish() == 0, "\(client.stderrText)")
        try server.waitForStderr(containing: "peer=Second Client verified=yes")
        // Without a certificate the server refuses (TLS 1.3 reports it after the handshake).
        let anonymous = try Peer(
            [Self.inetcat, "--secure", "--ca-file", SecureConnectTests.ca, "localhost", port], stdin: true)
        anonymous.send(Array("x".utf8))
        anonymous.closeInput()
        #expect(try anonymous.finish() == 1)
        #expect(anonymous.stderrText.contains("certificate required"), "\(anonymous.stderrText)")
    }

    @Test(arguments: [
        (["--ca-file", "x", "localhost", "1"], "--ca-file needs --secure"),
        (["--secure", "--tls-min", "1.4", "localhost", "1"], "--tls-min"),
        (["--listen", "--secure", "0"], "--cert-store"),
        (["--secure", "--require-client-cert", "localhost", "1"], "--require-client-cert needs --listen"),
    ])
    func tlsUsageErrors(arguments: [String], named: String) throws {
        let cat = try Peer([Self.inetcat] + arguments)
        #expect(try cat.finish() == 2)
        #expect(cat.stderrText.contains(named), "\(cat.stderrText)")
    }
}

/// The Inet listener's client-certificate check, and the blocking API, over TLS.
@Suite struct SecureListenerTests {
    static func serverConfiguration(requireClientCertificate: Bool) -> TLSConfiguration {
        TLSConfiguration(
            role: .server,
            credentials: SecurityCredentials(
                certificateStore: TestCertificates.path("server-bundle.pem"), trustRootsFile: SecureConnectTests.ca),
            requireClientCertificate: requireClientCertificate)
    }

    @Test func listenerVerifiesClientCertificates() async throws {
        let listener = try Listener(
            address: "127.0.0.1", port: 0, tls: Self.serverConfiguration(requireClientCertificate: true))
        let port = Int(listener.localAddress.port)
        let accepted = Task { try await listener.accept() }
        var credentials = SecureConnectTests.trustCA
        credentials.certificateStore = TestCertificates.path("client-bundle.pem")
        let client = try await SecureConnectTests.connector(port, credentials: credentials).connect()
        let server = try await accepted.value
        #expect(server.tls?.peerVerified == true)
        #expect(server.tls?.peerCommonName == "Inet Test Client")
        try await client.write("hi")
        #expect(try await server.read() == Array("hi".utf8))
    }

    @Test func aClientFailingItsHandshakeDoesNotEndTheConnectionsSequence() async throws {
        let listener = try Listener(
            address: "127.0.0.1", port: 0, tls: Self.serverConfiguration(requireClientCertificate: true))
        let port = Int(listener.localAddress.port)
        let served = Task { () -> String? in
            for try await connection in listener.connections { return connection.tls?.peerCommonName }
            return nil
        }
        // First a client without a certificate (refused), then one with.
        if let anonymous = try? await SecureConnectTests.connector(port).connect() {
            _ = try? await anonymous.read(timeout: .seconds(5))
        }
        var credentials = SecureConnectTests.trustCA
        credentials.certificateStore = TestCertificates.path("client.p12")
        credentials.password = TestCertificates.password
        _ = try await SecureConnectTests.connector(port, credentials: credentials).connect()
        #expect(try await served.value == "Inet Test Client")
    }

    @Test func blockingAPIOverTLS() throws {
        let listener = try Listener(
            address: "127.0.0.1", port: 0, tls: Self.serverConfiguration(requireClientCertificate: false))
        let connection = try SecureConnectTests.connector(Int(listener.localAddress.port)).blocking.connect()
        let server = try listener.blocking.accept(timeout: .seconds(5))
        try connection.blocking.write("blocking tls")
        var got: [UInt8] = []
        while got.count < 12 { got += try server.blocking.read(timeout: .seconds(5)) }
        #expect(got == Array("blocking tls".utf8))
        try connection.blocking.shutdown(.output)
        #expect(try server.blocking.read(timeout: .seconds(5)).isEmpty)  // close_notify, then FIN
    }
}
