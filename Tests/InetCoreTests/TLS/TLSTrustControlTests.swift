import Foundation
import Glibc
import COpenSSL
@testable import InetTLS
import InetTestSupport
import Testing
@testable import InetCore

/// Trust control (issue 11): roots alone without the system store, strict X.509, revocation by a
/// CRL file — through the API and inetcat, against `openssl s_server`.
@Suite struct TLSTrustControlTests {
    /// Connects to an s_server with `cert` and closes (while the server still runs); what TLS said.
    @discardableResult
    static func connect(_ cert: String, _ change: (inout SecurityCredentials) -> Void) async throws -> TLSInfo? {
        let (server, port) = try SecureConnectTests.sServer("\(cert).pem", key: "\(cert).key")
        defer { server.stop() }
        var credentials = SecureConnectTests.trustCA
        change(&credentials)
        let connection = try await SecureConnectTests.connector(port, credentials: credentials).connect()
        try await connection.close()
        return connection.tls
    }

    static func refusal(_ cert: String, _ change: (inout SecurityCredentials) -> Void) async -> InetError? {
        do {
            _ = try await connect(cert, change)
            return nil
        } catch {
            return error as? InetError
        }
    }

    /// inetcat as the client, in a process whose system trust store (`SSL_CERT_FILE`) holds the
    /// "public" CA, against a server certificate from that CA.
    static func inetcatToPublicServer(_ flags: [String]) throws -> Peer {
        let (server, port) = try SecureConnectTests.sServer("public-server.pem", key: "public-server.key")
        defer { server.stop() }
        let client = try Peer(
            [
                "env", "SSL_CERT_FILE=\(TestCertificates.path("system-with-public-ca.pem"))", TestSupport.inetcatPath,
                "--secure", "-v",
            ] + flags + ["localhost", String(port)], stdin: true)
        client.send(Array("abc\n".utf8))
        _ = try? client.waitForStdout(containing: "cba", timeout: .seconds(5))
        client.closeInput()
        _ = try client.finish()
        return client
    }

    @Test func trustOnlyLeavesTheSystemStoreOut() throws {
        let system = try Self.inetcatToPublicServer([])
        #expect(system.process.terminationStatus == 0, "\(system.stderrText)")
        #expect(system.stderrText.contains("verified=yes"), "\(system.stderrText)")
        let only = try Self.inetcatToPublicServer(["--trust-only", "--ca-file", SecureConnectTests.ca])
        #expect(only.process.terminationStatus == 1)
        #expect(only.stderrText.contains("not trusted"), "\(only.stderrText)")
        #expect(!only.stdoutText.contains("cba"))
    }

    /// The system store's two sources are lookups the verifier asks for a missing issuer: the
    /// hashed directory (`SSL_CERT_DIR`), then the bundle (`SSL_CERT_FILE`), read on that first
    /// question. A root reachable only through a hashed directory is trusted; the same server is
    /// refused when the directory lacks it; a missing bundle is no error.
    @Test func theSystemStoreIsReadThroughItsDirectoryAndBundle() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inet-hashdir-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hash = try Peer.run(["openssl", "x509", "-hash", "-noout", "-in", TestCertificates.path("publicca.pem")])
            .output.trimmingCharacters(in: .whitespacesAndNewlines)
        func client() throws -> Peer {
            let (server, port) = try SecureConnectTests.sServer("public-server.pem", key: "public-server.key")
            defer { server.stop() }
            let client = try Peer(
                [
                    "env", "SSL_CERT_FILE=\(directory)/no-bundle.pem", "SSL_CERT_DIR=\(directory)",
                    TestSupport.inetcatPath, "--secure", "-v", "localhost", String(port),
                ], stdin: true)
            client.send(Array("abc\n".utf8))
            _ = try? client.waitForStdout(containing: "cba", timeout: .seconds(5))
            client.closeInput()
            _ = try client.finish()
            return client
        }
        let without = try client()
        #expect(without.process.terminationStatus == 1)
        #expect(without.stderrText.contains("not trusted"), "\(without.stderrText)")
        #expect(symlink(TestCertificates.path("publicca.pem"), "\(directory)/\(hash).0") == 0)
        let with = try client()
        #expect(with.process.terminationStatus == 0, "\(with.stderrText)")
        #expect(with.stderrText.contains("verified=yes"), "\(with.stderrText)")
        #expect(with.stdoutText.contains("cba"))
    }

    /// The bundle parses to every certificate of the system's bundle file.
    @Test func theBundleHoldsTheSystemRoots() throws {
        let path = ProcessInfo.processInfo.environment["SSL_CERT_FILE"] ?? String(cString: X509_get_default_cert_file())
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        #expect(SystemTrustStore.bundleCount == text.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1)
    }

    @Test func trustOnlyRootsSufficeAndAreRequired() async throws {
        #expect(try await Self.connect("server") { $0.trustRootsOnly = true }?.peerVerified == true)
        var credentials = SecurityCredentials(trustRootsOnly: true)
        #expect { try SecureConnectTests.connector(443, credentials: credentials).validate() } throws: { error in
            guard let error = error as? InetError else { return false }
            return error.code == .invalidParameter && error.message.contains("trustRootsOnly needs trustRootsFile")
        }
        // Checks that judge certificates make no sense where none is judged.
        credentials = SecurityCredentials(crlFile: TestCertificates.path("ca.crl"))
        #expect {
            try SecureConnectTests.connector(443, options: [.secure, .trustedSite], credentials: credentials).validate()
        } throws: {
            ($0 as? InetError)?.code == .invalidParameter
        }
    }

    @Test func aCRLRevokesTheLeafItNames() async throws {
        let crl = TestCertificates.path("ca.crl")
        let revoked = try #require(await Self.refusal("revoked") { $0.crlFile = crl })
        #expect(revoked.code == .certificateRevoked)
        #expect(revoked.message.contains("revoked") && revoked.message.contains("ca.crl"), "\(revoked.message)")
        // Without the CRL the same certificate verifies; with it, an unrevoked one does.
        try await Self.connect("revoked") { _ in }
        try await Self.connect("server") { $0.crlFile = crl }
        // A file with no CRL in it is refused before any socket.
        var credentials = SecureConnectTests.trustCA
        credentials.crlFile = TestCertificates.path("ca.pem")
        #expect { try SecureConnectTests.connector(443, credentials: credentials).validate() } throws: { error in
            guard let error = error as? InetError else { return false }
            return error.code == .credentialsInvalid && error.message.contains("no PEM certificate revocation list")
        }
    }

    @Test func inetcatRefusesARevokedCertificateWithCRLFile() throws {
        let (server, port) = try SecureConnectTests.sServer("revoked.pem", key: "revoked.key")
        defer { server.stop() }
        let client = try Peer(
            [
                TestSupport.inetcatPath, "--secure", "--ca-file", SecureConnectTests.ca,
                "--crl-file", TestCertificates.path("ca.crl"), "localhost", String(port),
            ], stdin: true)
        client.closeInput()
        #expect(try client.finish() == 1)
        #expect(client.stderrText.contains("revoked"), "\(client.stderrText)")
    }

    @Test func strictModeRefusesWhatOrdinaryVerificationLetsPass() async throws {
        try await Self.connect("lax") { _ in }
        let strict = try #require(await Self.refusal("lax") { $0.strictVerification = true })
        #expect(strict.code == .certificateUntrusted)
        #expect(strict.message.contains("Authority Key Identifier"), "\(strict.message)")
        // The ordinary test certificates pass strict checking.
        try await Self.connect("server") { $0.strictVerification = true }
    }
}
