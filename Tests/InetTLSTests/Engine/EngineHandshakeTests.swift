import COpenSSL
import InetTestSupport
import Testing
@testable import InetTLS

/// Two engines in memory: verification, names, expiry, pins, versions, client certificates.
@Suite struct EngineHandshakeTests {
    @Test func verifiedHandshakeWithTheCAAsExtraRoot() throws {
        let pair = try EnginePair(client: .testClient(), server: .testServer())
        let (c, s) = pair.handshake()
        #expect(c == nil && s == nil, "\(String(describing: c)) \(String(describing: s))")
        #expect(pair.client.negotiatedVersion == "TLSv1.3")
        #expect(pair.client.peerCommonName == "localhost")
        #expect(pair.client.peerVerified)
        #expect(pair.client.cipherName.hasPrefix("TLS_"))
    }

    @Test func untrustedWithoutTheCA() throws {
        let pair = try EnginePair(client: .testClient(trustCA: false), server: .testServer())
        #expect(pair.handshake().client?.kind == .certificateUntrusted)
    }

    @Test func trustedSiteSkipsValidationButStillEncrypts() throws {
        let pair = try EnginePair(client: .testClient(trustCA: false, verify: false), server: .testServer())
        let (c, s) = pair.handshake()
        #expect(c == nil && s == nil)
        #expect(!pair.client.peerVerified)
        let message = Array("encrypted anyway".utf8)
        try pair.client.write(message)
        let wire = pair.client.takeOutput()
        #expect(!wire.isEmpty)
        #expect(!String(decoding: wire, as: UTF8.self).contains("encrypted anyway"))
        pair.server.feed(wire)
        var buffer = [UInt8](repeating: 0, count: 64)
        let result = try buffer.withUnsafeMutableBytes { raw throws(TLSError) in try pair.server.read(into: raw) }
        #expect(result == .bytes(message.count))
    }

    @Test func nameMismatchAndIPLiterals() throws {
        let other = try EnginePair(client: .testClient(), server: .testServer("other.pem", key: "other.key"))
        let error = other.handshake().client
        #expect(error?.kind == .certificateNameMismatch, "\(String(describing: error))")
        #expect(error?.message.contains("localhost") == true)
        let byIP = try EnginePair(client: .testClient(), server: .testServer(), serverName: "127.0.0.1")
        #expect(byIP.handshake().client == nil)
        let wrongIP = try EnginePair(client: .testClient(), server: .testServer(), serverName: "127.0.0.2")
        #expect(wrongIP.handshake().client?.kind == .certificateNameMismatch)
    }

    @Test func expiredCertificate() throws {
        let pair = try EnginePair(client: .testClient(), server: .testServer("expired.pem", key: "expired.key"))
        #expect(pair.handshake().client?.kind == .certificateExpired)
    }

    @Test func pinsMatchAndMismatch() throws {
        let serverPin = try Self.pin(of: "server.pem")
        var credentials = SecurityCredentials(pinnedKeys: [serverPin])
        let good = try EnginePair(client: .testClient(credentials: credentials), server: .testServer())
        #expect(good.handshake().client == nil)
        credentials.pinnedKeys = [try Self.pin(of: "other.pem")]
        let bad = try EnginePair(client: .testClient(credentials: credentials), server: .testServer())
        let error = bad.handshake().client
        #expect(error?.kind == .certificatePinMismatch, "\(String(describing: error))")
        #expect(error?.message.contains(serverPin) == true)
        #expect(throws: TLSError.self) {
            _ = try TLSContext(.testClient(credentials: SecurityCredentials(pinnedKeys: ["not base64!"])))
        }
    }

    @Test func versionsOutsideTheRangeFail() throws {
        let pair = try EnginePair(
            client: .testClient(credentials: SecurityCredentials(minimumVersion: .v1_3)),
            server: .testServer(max: .v1_2))
        let (c, s) = pair.handshake()
        #expect(
            c?.kind == .protocolVersion || s?.kind == .protocolVersion,
            "\(String(describing: c)) / \(String(describing: s))")
        // TLS 1.0 needs fallback, even when asked for explicitly.
        #expect { _ = try TLSContext(.testClient(credentials: SecurityCredentials(minimumVersion: .v1_0))) } throws: {
            ($0 as? TLSError)?.kind == .protocolVersion
        }
        let twelve = try EnginePair(
            client: .testClient(credentials: SecurityCredentials(maximumVersion: .v1_2)), server: .testServer())
        #expect(twelve.handshake().client == nil)
        #expect(twelve.client.negotiatedVersion == "TLSv1.2")
        #expect(twelve.client.cipherName.hasPrefix("ECDHE-"))
    }

    @Test(arguments: ["client-bundle.pem", "client.p12", "client-dir", "two-identities.p12"])
    func clientCertificateFromEachStoreForm(store: String) throws {
        let credentials = SecurityCredentials(
            certificateStore: TestCertificates.path(store),
            certificateName: store == "two-identities.p12" ? "client-two" : nil,
            password: TestCertificates.password)
        let pair = try EnginePair(
            client: .testClient(credentials: credentials), server: .testServer(requireClientCertificate: true))
        let (c, s) = pair.handshake()
        #expect(c == nil && s == nil, "\(store): \(String(describing: c)) / \(String(describing: s))")
        #expect(pair.server.peerVerified)
        #expect(pair.server.peerCommonName == (store == "two-identities.p12" ? "Second Client" : "Inet Test Client"))
    }

    @Test func requiredClientCertificateMissing() throws {
        let pair = try EnginePair(client: .testClient(), server: .testServer(requireClientCertificate: true))
        let (c, s) = pair.handshake()
        #expect(s != nil)
        // TLS 1.3: the client finishes first; the server's alert arrives with the next read.
        var clientError = c
        if clientError == nil {
            pair.client.feed(pair.server.takeOutput())
            var buffer = [UInt8](repeating: 0, count: 64)
            do {
                _ = try buffer.withUnsafeMutableBytes { raw throws(TLSError) in try pair.client.read(into: raw) }
            } catch {
                clientError = error as? TLSError
            }
        }
        #expect(clientError?.kind == .handshakeFailed, "\(String(describing: clientError))")
        #expect(clientError?.message.contains("certificate required") == true, "\(String(describing: clientError))")
    }

    @Test func oneMegabyteBothWaysAndCloseNotify() throws {
        let pair = try EnginePair(client: .testClient(), server: .testServer())
        pair.handshake()
        let up = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try EnginePair.transfer(up, from: pair.client, to: pair.server) == up)
        let down = Array(up.reversed())
        #expect(try EnginePair.transfer(down, from: pair.server, to: pair.client) == down)
        pair.client.close()
        pair.server.feed(pair.client.takeOutput())
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(
            try buffer.withUnsafeMutableBytes { raw throws(TLSError) in try pair.server.read(into: raw) } == .closed)
    }

    @Test func garbageCiphertextFailsTheHandshake() throws {
        let server = try TLSEngine(context: try TLSContext(.testServer()))
        server.feed(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(throws: TLSError.self) { _ = try server.handshake() }
    }

    static func pin(of certificate: String) throws -> String {
        let items = try CredentialLoader.readPEMFile(TestCertificates.path(certificate), password: nil)
        let x509 = try #require(items.first?.certificate)
        defer { for item in items { if let c = item.certificate { X509_free(c) } } }
        return Base64.encode(TLSEngine.spkiSHA256(X509_get0_pubkey(x509)))
    }
}
