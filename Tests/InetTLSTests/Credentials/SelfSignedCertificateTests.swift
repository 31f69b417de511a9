import Foundation
import Testing
@testable import InetTLS

@Suite struct SelfSignedCertificateTests {
    @Test func madeCertificatesLoadAndVerify() throws {
        let dir = NSTemporaryDirectory() + "inet-selfsigned-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for round in 0..<200 {
            let files = try SelfSignedCertificate.make(
                commonName: "localhost", subjectAltNames: ["DNS:localhost", "IP:127.0.0.1"], directory: dir)
            do {
                let server = TLSConfiguration(
                    role: .server, credentials: SecurityCredentials(certificateStore: files.store))
                let client = TLSConfiguration(
                    role: .client, credentials: SecurityCredentials(trustRootsFile: files.certificate))
                let client1 = try TLSEngine(context: try TLSContext(client), serverName: "localhost")
                let server1 = try TLSEngine(context: try TLSContext(server))
                for _ in 0..<10 {
                    _ = try client1.handshake()
                    server1.feed(client1.takeOutput())
                    _ = try server1.handshake()
                    client1.feed(server1.takeOutput())
                }
                #expect(client1.isHandshakeComplete && client1.peerVerified, "round \(round)")
            } catch {
                let text = (try? String(contentsOfFile: files.store, encoding: .utf8)) ?? "?"
                Issue.record("round \(round): \(error)\n\(text)")
                return
            }
        }
    }
}
