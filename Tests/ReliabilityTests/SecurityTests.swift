import Glibc
import InetTestSupport
import InetTLS
import Testing
@testable import InetCore
import InetEvents

/// Secure by default, shown against peers: no plaintext before the handshake, no way around
/// verification but `.trustedSite`, and secrets never in error text.
@Suite(.serialized) struct SecurityTests {
    /// An application writes right after `InetAsyncConnect` returns, before the connect event.
    /// The peer (a raw socket that never answers the handshake) captures every byte: only a TLS
    /// ClientHello arrives, never the application's plaintext.
    @Test func noPlaintextLeavesBeforeTheHandshake() throws {
        let peer = try FaultTests.RawPeer()
        #expect(Inet.initialize())
        defer { Inet.uninitialize() }
        let queue = MessageQueue()
        let adapter = LegacyEventAdapter(eventMessage: 0x0401, sink: .queue(queue))
        let options = InetOptions([.noInherit, .secure]).rawValue
        let handle = Inet.asyncConnect(
            "localhost", UInt32(peer.port), .tcp, 2, options,
            SecurityCredentials(trustRootsFile: TestCertificates.path("ca.pem")), adapter)
        peer.acceptClient()
        let secret = Array("TOP-SECRET-PLAINTEXT".utf8)
        let written = secret.withUnsafeBytes { Inet.write(handle, $0) }
        #expect(written == -1, "a write before the connect event is refused")
        #expect(Inet.getLastError() == InetErrorCode.notConnected.legacyCode)
        let captured = peer.receive(65_536)  // the ClientHello; the peer never answers
        #expect(captured.first == 0x16, "the first byte on the wire is a TLS handshake record")
        #expect(!String(decoding: captured, as: UTF8.self).contains("TOP-SECRET"))
        _ = Inet.disconnect(handle)
    }

    /// Against an untrusted certificate every option combination fails verification, except
    /// `.trustedSite`, the one documented way to skip it.
    @Test func verificationIsSkippedOnlyByTrustedSite() async throws {
        let combinations: [InetOptions] = [
            [], [.noDelay], [.keepAlive], [.secureFallback], [.preferIPv6], [.freeThread],
            [.noDelay, .keepAlive, .secureFallback], [.trustedSite], [.trustedSite, .noDelay],
        ]
        for extra in combinations {
            let server = try Peer([
                "openssl", "s_server", "-accept", "127.0.0.1:0", "-rev", "-naccept", "1",
                "-cert", TestCertificates.path("server.pem"), "-key", TestCertificates.path("server.key"),
            ])
            defer { server.stop() }
            let line = try server.waitForStdout(containing: "ACCEPT")
            let port = try #require(Int(line.split(separator: ":").last ?? ""))
            // No trust roots for the test CA: the certificate is untrusted.
            let connector = Connector(
                host: "localhost", port: port, timeout: .seconds(5), options: extra.union([.noInherit, .secure]))
            do {
                let connection = try await connector.connect()
                #expect(extra.contains(.trustedSite), "connected without verification with \(extra)")
                #expect(connection.tls?.peerVerified == false)
                try await connection.close()
            } catch {
                #expect(!extra.contains(.trustedSite), "\(extra): \(error)")
                #expect(error.code == .certificateUntrusted, "\(extra): \(error)")
            }
        }
    }

    /// Wrong passwords and key files in the wrong place: the error says what is wrong and
    /// where, never the password or any key material.
    @Test func secretsNeverAppearInErrors() throws {
        let password = "hunter2-do-not-print"
        let keyPEM = try String(contentsOfFile: TestCertificates.path("server.key"), encoding: .utf8)
        let keyBody = keyPEM.split(separator: "\n").dropFirst().first.map(String.init) ?? "unreachable"
        let cases: [SecurityCredentials] = [
            SecurityCredentials(certificateStore: TestCertificates.path("two-identities.p12"), password: password),
            SecurityCredentials(certificateStore: TestCertificates.path("server.key"), password: password),
            SecurityCredentials(
                certificateStore: TestCertificates.path("server.pem"), password: password,
                privateKeyFile: TestCertificates.path("other.key")),
            SecurityCredentials(certificateStore: "/nonexistent/store.p12", password: password),
        ]
        for credentials in cases {
            #expect(!credentials.description.contains(password))
            do {
                _ = try TLSContext(TLSConfiguration(role: .server, credentials: credentials))
                Issue.record("credentials \(credentials) were accepted")
            } catch {
                let text = "\(error) \(error.message) \(InetError(error))"
                #expect(!text.contains("hunter2"), "password in: \(text)")
                #expect(!text.contains(keyBody), "key material in: \(text)")
                #expect(!text.contains("PRIVATE KEY-----"), "key material in: \(text)")
            }
        }
    }

    /// inetcat's verbose log and error output never show the password it was given.
    @Test func passwordsStayOutOfInetcatOutput() throws {
        let server = try Peer([
            "openssl", "s_server", "-accept", "127.0.0.1:0", "-rev", "-naccept", "1",
            "-cert", TestCertificates.path("server.pem"), "-key", TestCertificates.path("server.key"),
        ])
        defer { server.stop() }
        let line = try server.waitForStdout(containing: "ACCEPT")
        let port = String(line.split(separator: ":").last ?? "")
        let password = "pw-never-printed-7f3a"
        let cat = try Peer([
            ProcessFacts.inetcatPath, "-v", "--secure", "--ca-file", TestCertificates.path("ca.pem"),
            "--cert-store", TestCertificates.path("client.p12"), "--cert-password", password, "localhost", port,
        ])
        #expect(try cat.finish() != 0)  // the wrong password fails the credentials
        #expect(cat.stderrText.contains("password"), "the error says what is wrong: \(cat.stderrText)")
        #expect(!cat.stderrText.contains(password) && !cat.stdoutText.contains(password))
    }
}
