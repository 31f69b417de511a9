import InetTestSupport
import Testing
@testable import InetTLS

/// Each way a credential store can be wrong has its own error kind and a message naming the file.
@Suite struct CredentialTests {
    static func client(
        _ store: String, name: String? = nil, password: String? = TestCertificates.password,
        key: String? = nil
    ) -> TLSConfiguration {
        .testClient(
            credentials: SecurityCredentials(
                certificateStore: TestCertificates.path(store), certificateName: name, password: password,
                privateKeyFile: key.map(TestCertificates.path)))
    }

    @Test(
        arguments: [
            ("missing.pem", nil, TestCertificates.password, nil, TLSError.Kind.credentialsNotFound, "does not exist"),
            ("client.p12", nil, "wrong", nil, .credentialsWrongPassword, "client.p12"),
            ("client.p12", nil, nil, nil, .credentialsWrongPassword, "needs a password"),
            ("client.pem", nil, "wrong", "client-encrypted.key", .credentialsWrongPassword, "client-encrypted.key"),
            ("mismatched-bundle.pem", nil, nil, nil, .credentialsKeyMismatch, "Inet Test Client"),
            (
                "two-identities.p12", "nobody", TestCertificates.password, nil, .certificateNotFound,
                "client-one, client-two"
            ),
            ("client.pem", nil, nil, nil, .credentialsInvalid, "no private key"),
            ("empty.pem", nil, nil, nil, .credentialsInvalid, "is empty"),
            ("client.key", nil, nil, nil, .credentialsInvalid, "no certificate"),
        ] as [(String, String?, String?, String?, TLSError.Kind, String)])
    func badStores(store: String, name: String?, password: String?, key: String?, kind: TLSError.Kind, mentions: String)
    {
        #expect {
            _ = try TLSContext(Self.client(store, name: name, password: password, key: key))
        } throws: { error in
            guard let error = error as? TLSError else { return false }
            return error.kind == kind && error.message.contains(mentions)
        }
    }

    @Test func selectionByCommonNameAndFriendlyName() throws {
        for name in ["client-one", "Inet Test Client", "client-two", "Second Client"] {
            _ = try TLSContext(Self.client("two-identities.p12", name: name))
        }
    }

    @Test func encryptedKeyWithTheRightPassword() throws {
        _ = try TLSContext(Self.client("client.pem", key: "client-encrypted.key"))
    }

    @Test func passwordsNeverAppearInDescriptionsOrErrors() {
        let credentials = SecurityCredentials(
            certificateStore: TestCertificates.path("client.p12"), password: "hunter2-unique")
        #expect(!credentials.description.contains("hunter2-unique"))
        do {
            _ = try TLSContext(.testClient(credentials: credentials))
        } catch {
            #expect(!error.description.contains("hunter2-unique"))
        }
    }

    @Test func serverWithoutIdentityIsRefused() {
        #expect { _ = try TLSContext(TLSConfiguration(role: .server)) } throws: {
            ($0 as? TLSError)?.kind == .credentialsInvalid
        }
    }
}
