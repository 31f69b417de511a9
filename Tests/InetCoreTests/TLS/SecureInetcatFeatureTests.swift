import Foundation
import InetTestSupport
import Testing
@testable import InetCore

/// inetcat's TLS feature flags against real peers, and SSLKEYLOGFILE checked with tshark, which
/// decrypts a capture of the connection with the key log alone (issue 11).
@Suite struct SecureInetcatFeatureTests {
    static func sServer(_ extra: [String]) throws -> (Peer, Int) {
        let peer = try Peer(
            [
                "openssl", "s_server", "-accept", "127.0.0.1:0", "-rev", "-cert", TestCertificates.path("server.pem"),
                "-key", TestCertificates.path("server.key"),
            ] + extra)
        let line = try peer.waitForStdout(containing: "ACCEPT")
        guard let port = Int(line.split(separator: ":").last ?? "") else { throw PeerError("no port in '\(line)'") }
        return (peer, port)
    }

    /// inetcat -v --secure with `flags`, sending "abc"; (status, stderr, stdout).
    static func inetcat(_ port: Int, _ flags: [String], environment: [String] = []) throws -> (Int32, String, String) {
        let client = try Peer(
            (environment.isEmpty ? [] : ["env"] + environment)
                + [TestSupport.inetcatPath, "--secure", "-v", "--ca-file", SecureConnectTests.ca] + flags
                + ["localhost", String(port)], stdin: true)
        client.send(Array("abc\n".utf8))
        _ = try? client.waitForStdout(containing: "cba", timeout: .seconds(5))
        client.closeInput()
        let status = try client.finish()
        return (status, client.stderrText, client.stdoutText)
    }

    @Test func alpnFlagNegotiatesAndIsReported() throws {
        let (server, port) = try Self.sServer(["-naccept", "1", "-alpn", "http/1.1"])
        defer { server.stop() }
        let (status, stderr, stdout) = try Self.inetcat(port, ["--alpn", "h2,http/1.1"])
        #expect(status == 0, "\(stderr)")
        #expect(stderr.contains("alpn=http/1.1"), "\(stderr)")
        #expect(stdout.contains("cba"))
    }

    @Test func alpnFlagRejectsEmptyNames() throws {
        let (status, output) = try Peer.run(
            [TestSupport.inetcatPath, "--secure", "--alpn", "h2,,x", "localhost", "1"], allowFailure: true)
        #expect(status != 0)
        #expect(output.contains("--alpn takes comma-separated protocol names"), "\(output)")
    }

    @Test func resumeFileResumesTheNextRun() throws {
        let (server, port) = try Self.sServer(["-naccept", "2"])
        defer { server.stop() }
        let file = TestCertificates.directory + "/inetcat-\(UUID().uuidString).sess"
        let first = try Self.inetcat(port, ["--resume", file])
        #expect(first.0 == 0 && first.1.contains("resumed=no"), "\(first.1)")
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let second = try Self.inetcat(port, ["--resume", file])
        #expect(second.0 == 0 && second.1.contains("resumed=yes"), "\(second.1)")
        #expect(second.2.contains("cba"))
        // A file that holds no session is an error, not a silent full handshake.
        try Data("not a session".utf8).write(to: URL(fileURLWithPath: file))
        let (status, output) = try Peer.run(
            [
                TestSupport.inetcatPath, "--secure", "--ca-file", SecureConnectTests.ca, "--resume", file,
                "localhost", String(port),
            ], allowFailure: true)
        #expect(status == 1)
        #expect(output.contains("not a saved TLS session"), "\(output)")
    }

    @Test func sslKeyLogFileLetsTsharkDecryptTheCapture() throws {
        let (server, port) = try Self.sServer(["-naccept", "1"])
        defer { server.stop() }
        let dir = TestCertificates.directory
        let (keys, capture) = ("\(dir)/keys-\(port).log", "\(dir)/capture-\(port).pcapng")
        // Test processes start children with SIGTERM blocked or ignored; the capture must stop on
        // it (and finish its file), so its signal state is reset before dumpcap starts.
        let resetSignals =
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
            + "signal.signal(signal.SIGTERM, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"
        // Probes to a UDP port the filter also takes show when the capture really runs (it
        // starts a moment after saying so); dumpcap counts packets on stderr ("Packets: N").
        let probe = try Connector(host: "127.0.0.1", port: port, protocol: .udp).blocking.connect()
        let filter = "tcp port \(port) or udp port \(probe.remoteAddress.port)"
        let capturing = try Peer(["python3", "-c", resetSignals, "dumpcap", "-i", "lo", "-f", filter, "-w", capture])
        defer { capturing.stop() }
        var running = false
        for _ in 0..<100 where !running {
            try? probe.blocking.write(Array("probe".utf8))
            running = (try? capturing.waitForStderr(containing: "Packets: ", timeout: .milliseconds(200))) != nil
        }
        try #require(running, "\(capturing.stderrText)")
        let (status, stderr, stdout) = try Self.inetcat(port, [], environment: ["SSLKEYLOGFILE=\(keys)"])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("cba"))
        // The kernel hands packets to dumpcap in blocks: wait until its count covers the
        // connection (a TLS 1.3 exchange like this one is well over 12 packets) before stopping.
        func captured() -> Int {
            Int(capturing.stderrText.components(separatedBy: "Packets: ").last?.split(separator: " ").first ?? "") ?? 0
        }
        for _ in 0..<50 where captured() < 13 {
            // reads the counter
            _ = try? capturing.waitForStderr(containing: "Packets captured", timeout: .milliseconds(200))
        }
        capturing.interrupt()
        let log = try String(contentsOfFile: keys, encoding: .utf8)
        for label in [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
            "SERVER_TRAFFIC_SECRET_0",
        ] {
            #expect(log.contains(label + " "), "\(log)")
        }
        #expect((try FileManager.default.attributesOfItem(atPath: keys)[.posixPermissions] as? Int) == 0o600)
        let (_, decrypted) = try Peer.run([
            "tshark", "-r", capture, "-o", "tls.keylog_file:\(keys)", "-q", "-z", "follow,tls,ascii,0",
        ])
        #expect(decrypted.contains("abc") && decrypted.contains("cba"), "\(decrypted)\n\(capturing.stderrText)")
        // Without the key log the same capture shows no plaintext.
        let (_, opaque) = try Peer.run(["tshark", "-r", capture, "-q", "-z", "follow,tls,ascii,0"])
        #expect(!opaque.contains("cba"), "\(opaque)")
    }
}
