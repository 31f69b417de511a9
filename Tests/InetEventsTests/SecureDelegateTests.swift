import InetTestSupport
import InetTLS
import Testing
@testable import InetCore
import InetEvents

@Suite struct SecureDelegateTests {
    @Test func connectEventFiresAfterTheTLSHandshake() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0, tls: TLSConfiguration(
            role: .server, credentials: SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem"))))
        let log = EventLog()
        let verified = Locked<Bool?>(nil)
        final class Probe: ConnectionDelegate, @unchecked Sendable {  // safe: used on the loop only
            let log: EventLog
            let verified: Locked<Bool?>
            init(log: EventLog, verified: Locked<Bool?>) { self.log = log; self.verified = verified }
            func connectionDidConnect(_ connection: EventConnection, error: InetError?) {
                verified.withLock { $0 = connection.connection?.tls?.peerVerified }
                log.connectionDidConnect(connection, error: error)
            }
        }
        let probe = Probe(log: log, verified: verified)
        var connector = Connector(host: "localhost", port: Int(listener.localAddress.port), options: [.noInherit, .secure])
        connector.credentials = SecurityCredentials(trustRootsFile: TestCertificates.path("ca.pem"))
        let client = try connector.connect(delegate: probe)
        log.wait { !$0.isEmpty }
        #expect(log.all.first == .connect(nil))
        #expect(verified.withLock { $0 } == true)  // the handshake had finished when the event fired
        try client.close()

        // An untrusted server: the connect event carries the TLS error, and nothing follows.
        let failing = EventLog()
        var untrusted = connector
        untrusted.credentials = nil
        _ = try untrusted.connect(delegate: failing)
        #expect(failing.wait { !$0.isEmpty } == [.connect(.certificateUntrusted)])
    }
}
