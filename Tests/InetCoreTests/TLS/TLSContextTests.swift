import Foundation
import InetTLS
import InetTestSupport
import Testing
@testable import InetCore

/// Caller-owned TLS contexts, listener hot reload, and the bounded, password-free context cache
/// (issue 11).
@Suite struct TLSContextTests {
    static var clientConfiguration: TLSConfiguration {
        TLSConfiguration(role: .client, credentials: SecureConnectTests.trustCA)
    }

    @Test func oneCallerContextServesManyConnectors() async throws {
        let server = try TLSPeers.EchoServer(TLSConfiguration(role: .server, credentials: TLSPeers.serverIdentity))
        let context = try TLSContext(Self.clientConfiguration)
        for _ in 0..<3 {
            var connector = Connector(host: "localhost", port: server.port, options: [.noInherit, .secure])
            connector.tlsContext = context
            let connection = try await connector.connect()
            #expect(connection.tls?.peerVerified == true)
            try await connection.close()
        }
        await server.stop()
    }

    @Test func aCallerContextMustAgreeWithTheConnector() throws {
        let client = try TLSContext(Self.clientConfiguration)
        let server = try TLSContext(TLSConfiguration(role: .server, credentials: TLSPeers.serverIdentity))
        let cases: [(InetOptions, TLSContext, SecurityCredentials?, InetErrorCode, String)] = [
            ([.secure], server, nil, .invalidParameter, "must be a .client context"),
            ([.secure], client, SecureConnectTests.trustCA, .invalidParameter, "credentials or a tlsContext, not both"),
            ([], client, nil, .invalidOptions, "needs .secure"),
            ([.secure, .trustedSite], client, nil, .invalidOptions, ".trustedSite is set but the tlsContext verifies"),
            ([.secure, .secureFallback], client, nil, .invalidOptions, "without legacyFallback"),
        ]
        for (options, context, credentials, code, text) in cases {
            var connector = Connector(host: "localhost", port: 443, options: options)
            connector.tlsContext = context
            connector.credentials = credentials
            #expect { try connector.validate() } throws: { error in
                guard let error = error as? InetError else { return false }
                return error.code == code && error.message.contains(text)
            }
        }
    }

    @Test func aContextKeepsNoPassword() throws {
        var credentials = SecurityCredentials(
            certificateStore: TestCertificates.path("client.p12"), password: TestCertificates.password)
        credentials.trustRootsFile = SecureConnectTests.ca
        let context = try TLSContext(TLSConfiguration(role: .client, credentials: credentials))
        #expect(context.configuration.credentials.password == nil)
        var dumped = ""
        dump(TLSContextKey(TLSConfiguration(role: .client, credentials: credentials)), to: &dumped)
        #expect(!dumped.contains(TestCertificates.password))
        #expect(dumped.contains("client.p12"))
    }

    @Test func theCacheTellsPasswordsApartWithoutKeepingThem() throws {
        let right = TLSConfiguration(
            role: .client,
            credentials: SecurityCredentials(
                certificateStore: TestCertificates.path("client.p12"), password: TestCertificates.password))
        var wrong = right
        wrong.credentials.password = "not the password"
        _ = try TLSContextCache.context(for: right)
        // Made with the right password and cached, the context is still not given for a wrong one.
        #expect { _ = try TLSContextCache.context(for: wrong) } throws: {
            ($0 as? TLSError)?.kind == .credentialsWrongPassword
        }
    }

    @Test func theCachePicksUpAReplacedFileAndStaysBounded() throws {
        let path = TestCertificates.directory + "/roots-\(UUID().uuidString).pem"
        try FileManager.default.copyItem(atPath: SecureConnectTests.ca, toPath: path)
        let configuration = TLSConfiguration(role: .client, credentials: SecurityCredentials(trustRootsFile: path))
        let first = try TLSContextCache.context(for: configuration)
        #expect(try TLSContextCache.context(for: configuration) === first)
        // Replaced on disk (a new inode, as `mv` of a renewed file gives): a new context.
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: TestCertificates.path("publicca.pem"), toPath: path)
        #expect(try TLSContextCache.context(for: configuration) !== first)
        // Bounded: 40 distinct configurations leave at most `capacity` contexts.
        for n in 0..<40 {
            var distinct = configuration
            distinct.credentials.pinnedKeys = [Data(repeating: UInt8(n), count: 32).base64EncodedString()]
            _ = try TLSContextCache.context(for: distinct)
        }
        #expect(TLSContextCache.count <= TLSContextCache.capacity)
    }

    /// A listener swaps in a new certificate: new clients see it, a connection accepted before
    /// goes on working, and a bad configuration leaves the old context in force.
    @Test func aListenerReloadsItsCertificateWithoutDroppingConnections() async throws {
        let server = try TLSPeers.EchoServer(TLSConfiguration(role: .server, credentials: TLSPeers.serverIdentity))
        func connect(pinning cert: String) async throws -> Connection {
            var credentials = SecureConnectTests.trustCA
            credentials.pinnedKeys = [try EnginePin.of(cert)]
            return try await SecureConnectTests.connector(server.port, credentials: credentials).connect()
        }
        let before = try await connect(pinning: "server.pem")
        try await before.write("one")
        #expect(try await before.read() == Array("one".utf8))

        let renewed = SecurityCredentials(
            certificateStore: TestCertificates.path("rsa2048.pem"), privateKeyFile: TestCertificates.path("rsa2048.key")
        )
        try server.listener.reloadTLS(TLSConfiguration(role: .server, credentials: renewed))
        let after = try await connect(pinning: "rsa2048.pem")
        #expect(after.tls?.peerVerified == true)
        await #expect { _ = try await connect(pinning: "server.pem") } throws: {
            ($0 as? InetError)?.code == .certificatePinMismatch
        }
        // The connection from before the reload is untouched.
        try await before.write("two")
        #expect(try await before.read() == Array("two".utf8))

        // A broken replacement throws and changes nothing.
        #expect {
            try server.listener.reloadTLS(
                TLSConfiguration(role: .server, credentials: SecurityCredentials(certificateStore: "/nonexistent.pem")))
        } throws: { ($0 as? InetError)?.code == .credentialsNotFound }
        #expect { try server.listener.reloadTLS(try TLSContext(Self.clientConfiguration)) } throws: {
            ($0 as? InetError)?.code == .invalidParameter
        }
        try await connect(pinning: "rsa2048.pem").close()
        let plain = try Listener(address: "127.0.0.1", port: 0)
        #expect {
            try plain.reloadTLS(try TLSContext(TLSConfiguration(role: .server, credentials: TLSPeers.serverIdentity)))
        } throws: { ($0 as? InetError)?.message.contains("made with TLS") == true }
        await plain.close()
        try await before.close()
        try await after.close()
        await server.stop()
    }
}
