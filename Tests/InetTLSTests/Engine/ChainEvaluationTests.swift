import Foundation
import InetTestSupport
import Testing
@testable import InetTLS

/// `TLSContext.evaluateServerChain`: a chain judged as a client handshake would judge it (the
/// function the x509-limbo measurement in Docs/TLS.md runs on).
@Suite struct ChainEvaluationTests {
    static func der(_ file: String) throws -> [UInt8] {
        let pem = try String(contentsOfFile: TestCertificates.path(file), encoding: .utf8)
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Array(try #require(Data(base64Encoded: body)))
    }

    static let context: TLSContext = try! TLSContext(
        TLSConfiguration(
            role: .client,
            credentials: SecurityCredentials(
                trustRootsFile: TestCertificates.path("ca.pem"), trustRootsOnly: true)))

    @Test func acceptsWhatAHandshakeAcceptsAndSaysWhyNot() throws {
        #expect(Self.context.evaluateServerChain([try Self.der("server.pem")], serverName: "localhost") == nil)
        #expect(Self.context.evaluateServerChain([try Self.der("server.pem")], serverName: "127.0.0.1") == nil)
        #expect(
            Self.context.evaluateServerChain([try Self.der("other.pem")], serverName: "localhost")?.kind
                == .certificateNameMismatch)
        #expect(
            Self.context.evaluateServerChain([try Self.der("cn-only.pem")], serverName: "localhost")?.kind
                == .certificateNameMismatch)
        #expect(
            Self.context.evaluateServerChain([try Self.der("public-server.pem")], serverName: "localhost")?.kind
                == .certificateUntrusted)
        // Security level 2, as in the handshake: an RSA-1024 leaf is refused.
        #expect(
            Self.context.evaluateServerChain([try Self.der("rsa1024.pem")], serverName: "localhost")?.kind
                == .certificateUntrusted)
        // The intermediate comes from the chain, as a server would send it.
        let constrained = [try Self.der("constrained-leaf.pem"), try Self.der("constrained-ca.pem")]
        #expect(Self.context.evaluateServerChain(constrained, serverName: nil) == nil)
        #expect(
            Self.context.evaluateServerChain(constrained, serverName: "localhost")?.kind == .certificateNameMismatch)
    }

    @Test func judgesAtTheGivenTime() throws {
        let expired = [try Self.der("expired.pem")]
        #expect(Self.context.evaluateServerChain(expired, serverName: "localhost")?.kind == .certificateExpired)
        // 2020-01-15 lies inside the expired leaf's validity but before the test CA (made
        // today) existed: the verdict is about time either way, never "trusted".
        let january2020: Int64 = 1_579_046_400
        #expect(
            Self.context.evaluateServerChain(expired, serverName: "localhost", at: january2020)?.kind
                == .certificateExpired)
        #expect(
            Self.context.evaluateServerChain([try Self.der("server.pem")], serverName: "localhost", at: january2020)?
                .kind
                == .certificateExpired)
    }

    @Test func badInputIsAnErrorNotACrash() {
        #expect(Self.context.evaluateServerChain([], serverName: "localhost")?.kind == .certificateUntrusted)
        #expect(
            Self.context.evaluateServerChain([[0x30, 0x03, 0x01]], serverName: "localhost")?.message.contains(
                "not DER X.509") == true)
        let server = try! TLSContext(
            TLSConfiguration(
                role: .server,
                credentials: SecurityCredentials(
                    certificateStore: TestCertificates.path("server-bundle.pem"))))
        #expect(server.evaluateServerChain([], serverName: nil)?.kind == .invalidConfiguration)
    }
}
