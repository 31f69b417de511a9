import InetTestSupport
import InetTLS
import Testing
@testable import InetCore
import InetEvents

/// Bad credentials and bad legacy-API use, each with its exact error (the connector's own table
/// of 24 bad inputs is `Tests/InetCoreTests/Connect/ConnectorValidationTests.swift`).
@Suite struct HostileInputTests {
    struct CredentialsCase: CustomTestStringConvertible, Sendable {
        let label: String
        let credentials: SecurityCredentials
        let code: InetErrorCode
        let mentions: String
        var testDescription: String { label }
    }

    static func cert(_ name: String) -> String { TestCertificates.path(name) }

    static let credentialCases: [CredentialsCase] = [
        CredentialsCase(
            label: "store that does not exist",
            credentials: SecurityCredentials(certificateStore: "/nonexistent/store.p12"),
            code: .credentialsNotFound, mentions: "/nonexistent/store.p12"),
        CredentialsCase(
            label: "PKCS#12 with the wrong password",
            credentials: SecurityCredentials(certificateStore: cert("client.p12"), password: "wrong"),
            code: .credentialsWrongPassword, mentions: "password"),
        CredentialsCase(
            label: "certificate name not in the store",
            credentials: SecurityCredentials(
                certificateStore: cert("two-identities.p12"), certificateName: "nobody",
                password: TestCertificates.password),
            code: .certificateNotFound, mentions: "nobody"),
        CredentialsCase(
            label: "key that does not match the certificate",
            credentials: SecurityCredentials(certificateStore: cert("client.pem"), privateKeyFile: cert("other.key")),
            code: .credentialsKeyMismatch, mentions: "matches"),
        CredentialsCase(
            label: "empty store file", credentials: SecurityCredentials(certificateStore: cert("empty.pem")),
            code: .credentialsInvalid, mentions: "empty.pem"),
        CredentialsCase(
            label: "trust roots file that does not exist",
            credentials: SecurityCredentials(trustRootsFile: "/nonexistent/roots.pem"),
            code: .credentialsNotFound, mentions: "/nonexistent/roots.pem"),
        CredentialsCase(
            label: "pin that is not base64 SHA-256", credentials: SecurityCredentials(pinnedKeys: ["not-a-pin"]),
            code: .credentialsInvalid, mentions: "not-a-pin"),
        CredentialsCase(
            label: "TLS 1.0 minimum without secureFallback", credentials: SecurityCredentials(minimumVersion: .v1_0),
            code: .tlsProtocolVersion, mentions: "secureFallback"),
    ]

    /// Credential problems surface when the connector is validated — before any socket.
    @Test(arguments: credentialCases)
    func badCredentialsFailValidationWithTheirOwnError(_ c: CredentialsCase) {
        var connector = Connector(host: "127.0.0.1", port: 443, options: [.noInherit, .secure])
        connector.credentials = c.credentials
        #expect { try connector.validate() } throws: { error in
            guard let error = error as? InetError else { return false }
            #expect(error.code == c.code, "\(c.label): \(error)")
            #expect(error.message.contains(c.mentions), "\(c.label): \(error.message)")
            return true
        }
    }

    @Test func legacyCallsOnHandlesNeverIssuedOrAlreadyClosed() throws {
        #expect(Inet.initialize())
        defer { Inet.uninitialize() }
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        let handle = Inet.connect("127.0.0.1", UInt32(port), .tcp, 5, InetOptions.default.rawValue, nil)
        #expect(handle != InetHandle.invalid)
        #expect(Inet.disconnect(handle) == 0)
        var buffer = [UInt8](repeating: 0, count: 8)
        for (label, h) in [
            ("closed", handle), ("never issued", InetHandle(rawValue: 0xDEAD_BEEF)), ("invalid", InetHandle.invalid),
        ] {
            #expect(buffer.withUnsafeMutableBytes { Inet.read(h, $0) } == -1, "\(label)")
            #expect(Inet.getLastError() == InetErrorCode.invalidHandle.legacyCode, "\(label)")
            #expect(buffer.withUnsafeBytes { Inet.write(h, $0) } == -1, "\(label)")
            #expect(Inet.getLastError() == InetErrorCode.invalidHandle.legacyCode, "\(label)")
            #expect(Inet.disconnect(h) == -1, "\(label)")
            #expect(Inet.getLastError() == InetErrorCode.invalidHandle.legacyCode, "\(label)")
        }
    }

    @Test func legacyEventMessagesAtOrBelowWMUserAreRefused() throws {
        for message: UInt32 in [0, 1, 0x03FF, 0x0400, 0x1_0000, .max] {
            #expect { try LegacyEventAdapter(eventMessage: message, sink: .queue(MessageQueue())).validate() } throws: {
                error in
                (error as? InetError)?.code == .invalidParameter
                    && (error as? InetError)?.message.contains("WM_USER") == true
            }
        }
        #expect((try? LegacyEventAdapter(eventMessage: 0x0401, sink: .queue(MessageQueue())).validate()) != nil)
        #expect((try? LegacyEventAdapter(eventMessage: 0xFFFF, sink: .queue(MessageQueue())).validate()) != nil)
    }
}
