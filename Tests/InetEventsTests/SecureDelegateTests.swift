import InetTestSupport
import InetTLS
import Testing
@testable import InetCore
import InetEvents

@Suite struct SecureDelegateTests {
    @Test func connectEventFiresAfterTheTLSHandshake() async throws {
        let listener = try Listener(
            address: "127.0.0.1", port: 0,
            tls: TLSConfiguration(
                role: .server,
                credentials: SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem"))))
        let log = EventLog()
        let verified = Locked<Bool?>(nil)
        final class Probe: ConnectionDelegate, @unchecked Sendable {  // safe: used on the loop only
            let log: EventLog
            let verified: Locked<Bool?>
            init(log: EventLog, verified: Locked<Bool?>) {
                self.log = log
                self.verified = verified
            }
            func connectionDidConnect(_ connection: EventConnection, error: InetError?) {
                verified.withLock { $0 = connection.connection?.tls?.peerVerified }
                log.connectionDidConnect(connection, error: error)
            }
        }
        let probe = Probe(log: log, verified: verified)
        var connector = Connector(
            host: "localhost", port: Int(listener.localAddress.port), options: [.noInherit, .secure])
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

    /// `openssl s_server` sends TLS 1.3 session tickets right after the handshake: a read event
    /// can find only tickets (the read returns would-block). The next record must still raise a
    /// read event — this hung before a would-block read re-armed the event.
    @Test func aReadThatFindsOnlyTicketsRearmsTheReadEvent() throws {
        let server = try Peer([
            "openssl", "s_server", "-accept", "127.0.0.1:0", "-rev", "-naccept", "1",
            "-cert", TestCertificates.path("server.pem"), "-key", TestCertificates.path("server.key"),
        ])
        defer { server.stop() }
        let line = try server.waitForStdout(containing: "ACCEPT")
        let port = try #require(Int(line.split(separator: ":").last ?? ""))
        var connector = Connector(host: "localhost", port: port, options: [.noInherit, .secure])
        connector.credentials = SecurityCredentials(trustRootsFile: TestCertificates.path("ca.pem"))
        let log = EventLog()
        let received = Locked<[UInt8]>([])
        log.onRead = { [unowned log] connection in
            var buffer = [UInt8](repeating: 0, count: 4096)
            if case .bytes(let n)? = try? buffer.withUnsafeMutableBytes({ try connection.read(into: $0) }) {
                received.withLock { $0 += buffer[..<n] }
                log.record(.note("bytes"))
            }
        }
        let client = try connector.connect(delegate: log)
        log.wait { $0.contains(.connect(nil)) }
        // Wait for the tickets' read event to have come and gone before sending anything.
        log.wait(seconds: 2) { $0.filter { $0 == .read }.count >= 1 }
        _ = try client.write(Array("ping\n".utf8))
        log.wait { $0.contains(.note("bytes")) }
        #expect(String(decoding: received.withLock { $0 }, as: UTF8.self) == "gnip\n")
        try client.close()
    }
}

/// Issue 11, defect 2, through the delegate API: a TCP end without close_notify is reported as
/// `tlsTruncated` in the disconnect event; a close_notify end as a clean disconnect.
@Suite struct SecureDelegateTruncationTests {
    func run(_ ending: PythonTLSServer.Ending) throws -> (events: [EventLog.Entry], received: Int, peerEnd: PeerEnd?) {
        let (server, port) = try PythonTLSServer.start(sending: 80_800, ending: ending)
        defer { server.stop() }
        var connector = Connector(host: "localhost", port: port, options: [.noInherit, .secure])
        connector.credentials = SecurityCredentials(trustRootsFile: TestCertificates.path("ca.pem"))
        let log = EventLog()
        let received = Locked(0)
        log.onRead = { connection in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while case .bytes(let n)? = try? buffer.withUnsafeMutableBytes({ try connection.read(into: $0) }) {
                received.withLock { $0 += n }
            }
        }
        let client = try connector.connect(delegate: log)
        let events = log.wait { $0.contains { if case .disconnect = $0 { true } else { false } } }
        let peerEnd = client.connection?.peerEnd
        try client.close()  // as after any disconnect event: the handle is held until closed
        return (events, received.withLock { $0 }, peerEnd)
    }

    @Test func truncationIsTheDisconnectError() throws {
        let cut = try run(.cutAfter(ciphertextBytes: 20_000))
        #expect(cut.events.last == .disconnect(.tlsTruncated), "\(cut.events)")
        #expect(cut.received == 16_384)
        #expect(cut.peerEnd == .truncated)
        let clean = try run(.closeNotify)
        #expect(clean.events.last == .disconnect(nil), "\(clean.events)")
        #expect(clean.received == 80_800)
        #expect(clean.peerEnd == .closeNotify)
    }
}
