import Foundation
import InetTestSupport

/// The base64 SHA-256 SPKI pin of a test certificate, computed with the openssl command (as a
/// user would), not with Inet's own code.
enum EnginePin {
    static func of(_ certificate: String) throws -> String {
        let script =
            "openssl x509 -in '\(TestCertificates.path(certificate))' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"
        let (status, output) = try Peer.run(["sh", "-c", script])
        guard status == 0 else { throw PeerError("pin computation failed") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
