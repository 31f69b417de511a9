import InetTestSupport
import Foundation
import Glibc
import Testing

/// inetcat's fixed command line, output lines and exit codes, against real peers.
@Suite struct InetcatTests {
    static var inetcat: String { TestSupport.inetcatPath }

    static func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }

    @Test func pipesStdinToTheServerAndTheReplyToStdout() throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1,reuseaddr", "PIPE")
        defer { socat.stop() }
        let cat = try Peer([Self.inetcat, "-v", "127.0.0.1", "\(port)"], stdin: true)
        cat.send(Array("line one\nline two\n".utf8))
        cat.closeInput()
        #expect(try cat.finish() == 0, "\(cat.stderrText)")
        #expect(cat.stdoutText == "line one\nline two\n")
        #expect(
            Self.matches(cat.stderrText, #"^connected: local=127\.0\.0\.1:[0-9]+ remote=127\.0\.0\.1:\#(port)\n$"#),
            "\(cat.stderrText)")
    }

    /// A peer that half-closes first (its stdin is empty) still receives all of ours: ~14.6 MiB from
    /// a file, byte for byte. (Before the fix 256 KiB arrived and the sender exited.)
    @Test func sendsAllOfStdinToAPeerThatHalfClosedFirst() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inetcat-halfclose-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        let output = dir.appendingPathComponent("out").path
        let bytes =
            (0..<16).flatMap { TestSupport.pattern(900 << 10, seed: UInt64($0)) }
            + TestSupport.pattern(1 << 19, seed: 99)
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        let server = try Peer([
            "sh", "-c", "exec \(Self.inetcat) --listen --bind 127.0.0.1 -v 0 > \(output) < /dev/null",
        ])
        defer { server.stop() }
        let line = try server.waitForStderr(containing: "listening: ")
        let port = String(line.split(separator: ":").last!)
        let client = try Peer(["sh", "-c", "exec \(Self.inetcat) 127.0.0.1 \(port) < \(input)"])
        #expect(try client.finish() == 0, "\(client.stderrText)")
        #expect(try server.finish() == 0, "\(server.stderrText)")
        let received = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        #expect(received.count == bytes.count)
        #expect(received == bytes)
    }

    @Test func listenEchoServesNetcat() throws {
        let server = try Peer([Self.inetcat, "--listen", "--bind", "127.0.0.1", "--echo", "-v", "0"])
        defer { server.stop() }
        let line = try server.waitForStderr(containing: "listening: ")
        #expect(Self.matches(line, #"^listening: 127\.0\.0\.1:[0-9]+$"#), "\(line)")
        let port = String(line.split(separator: ":").last!)
        let nc = try Peer(["nc", "-N", "127.0.0.1", port], stdin: true)
        nc.send(Array("echo this".utf8))
        nc.closeInput()
        #expect(try nc.finish() == 0)
        #expect(nc.stdoutText == "echo this")
        #expect(try server.finish() == 0)
        #expect(
            Self.matches(server.stderrText, #"accepted: local=127\.0\.0\.1:\#(port) remote=127\.0\.0\.1:[0-9]+"#),
            "\(server.stderrText)")
    }

    @Test func keepOpenServesSeveralClients() throws {
        let server = try Peer([Self.inetcat, "--listen", "--bind", "127.0.0.1", "--echo", "--keep-open", "-v", "0"])
        defer { server.stop() }
        let port = String(try server.waitForStderr(containing: "listening: ").split(separator: ":").last!)
        for i in 0..<3 {
            let nc = try Peer(["nc", "-N", "127.0.0.1", port], stdin: true)
            nc.send(Array("client \(i)".utf8))
            nc.closeInput()
            #expect(try nc.finish() == 0)
            #expect(nc.stdoutText == "client \(i)")
        }
    }

    /// The accept-EMFILE episode as a user meets it: `inetcat --listen --echo --keep-open` under
    /// `ulimit -n 24`, 40 clients at once (more than it has descriptors). It warns with
    /// "too many open files", refuses clients it cannot take at once (each sees its end — none
    /// waits in silence), and once they are gone the next client — `socat` — is echoed.
    @Test func afterAnAcceptEMFILEEpisodeTheNextClientIsServed() throws {
        let server = try Peer([
            "sh", "-c", "ulimit -n 24 && exec \(Self.inetcat) --listen --bind 127.0.0.1 --echo --keep-open -v 0",
        ])
        defer { server.stop() }
        let port = UInt16(try server.waitForStderr(containing: "listening: ").split(separator: ":").last!)!
        var clients: [Int32] = []
        defer { for fd in clients { Glibc.close(fd) } }
        for _ in 0..<40 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in(
                sin_family: sa_family_t(AF_INET), sin_port: port.bigEndian,
                sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            #expect(rc == 0, "client connect: errno \(errno)")
            clients.append(fd)
        }
        let warning = try server.waitForStderr(containing: "oo many open files")
        #expect(warning.contains("closed at once"), "\(warning)")
        // Each client ends its side and waits for the server's end: echoed and closed, or refused.
        // A client the server dropped without a word would wait here until the 15 s budget ends.
        let budget = ContinuousClock.now + .seconds(15)
        for fd in clients {
            shutdown(fd, Int32(SHUT_WR))
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            var ended = false
            var scratch = [UInt8](repeating: 0, count: 256)
            while !ended, poll(&entry, 1, Int32(max(0, (budget - ContinuousClock.now).components.seconds * 1000))) == 1
            {
                ended = read(fd, &scratch, scratch.count) <= 0
            }
            #expect(ended, "a client was left waiting with no end")
        }
        let socat = try Peer(["socat", "-", "TCP:127.0.0.1:\(port)"], stdin: true)
        socat.send(Array("served after the episode".utf8))
        socat.closeInput()
        #expect(try socat.finish() == 0)
        #expect(socat.stdoutText == "served after the episode")
    }

    @Test func ipv6AddressesAreBracketed() throws {
        let server = try Peer([Self.inetcat, "--listen", "--bind", "::1", "--echo", "-v", "0"])
        defer { server.stop() }
        let line = try server.waitForStderr(containing: "listening: ")
        #expect(Self.matches(line, #"^listening: \[::1\]:[0-9]+$"#), "\(line)")
        let port = String(line.split(separator: ":").last!)
        let client = try Peer([Self.inetcat, "-v", "::1", port], stdin: true)
        client.send(Array("v6".utf8))
        client.closeInput()
        #expect(try client.finish() == 0)
        #expect(client.stdoutText == "v6")
        #expect(
            Self.matches(client.stderrText, #"connected: local=\[::1\]:[0-9]+ remote=\[::1\]:\#(port)"#),
            "\(client.stderrText)")
    }

    @Test func udpExchangesDatagramsWithSocat() throws {
        let port = try TestSupport.unusedPort(.udp)
        let socat = try Peer(["socat", "-d", "-d", "UDP-LISTEN:\(port),bind=127.0.0.1", "PIPE"])
        defer { socat.stop() }
        try socat.waitForStderr(containing: "listening on")
        let cat = try Peer([Self.inetcat, "-u", "-w", "0.5", "127.0.0.1", "\(port)"], stdin: true)
        cat.send(Array("datagram".utf8))
        try cat.waitForStdout(containing: "datagram")
        cat.closeInput()
        #expect(try cat.finish() == 0)
    }

    @Test func eventsModePrintsEachEventAndPipes() throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1,reuseaddr", "PIPE")
        defer { socat.stop() }
        let cat = try Peer([Self.inetcat, "--events", "--event-msg", "0x0500", "127.0.0.1", "\(port)"], stdin: true)
        cat.send(Array("through events".utf8))
        cat.closeInput()
        #expect(try cat.finish() == 0, "\(cat.stderrText)")
        #expect(cat.stdoutText == "through events")
        let lines = cat.stderrText.split(separator: "\n").map(String.init)
        #expect(
            Self.matches(
                lines.first ?? "", #"^event=connect handle=0x[0-9a-f]+ msg=0x0500 lparam=0x00000001 error=0$"#),
            "\(lines)")
        #expect(
            lines.contains {
                Self.matches($0, #"^event=write handle=0x[0-9a-f]+ msg=0x0500 lparam=0x00000008 error=0$"#)
            })
        #expect(
            lines.contains {
                Self.matches($0, #"^event=read handle=0x[0-9a-f]+ msg=0x0500 lparam=0x00000004 error=0$"#)
            })
        // The peer's close shows too (the trace used to end at the read that returned 0).
        #expect(
            Self.matches(
                lines.last ?? "", #"^event=disconnect handle=0x[0-9a-f]+ msg=0x0500 lparam=0x00000002 error=0$"#),
            "\(lines)")
    }

    @Test func eventsModeRefusedShowsTheErrorInTheHighWord() throws {
        let closed = try ClosedPort()
        let cat = try Peer([Self.inetcat, "--events", "127.0.0.1", "\(closed.port)"])
        #expect(try cat.finish() == 1)
        #expect(
            Self.matches(
                cat.stderrText, #"event=connect handle=0x[0-9a-f]+ msg=0x0401 lparam=0x274d0001 error=10061\n"#),
            "\(cat.stderrText)")
        #expect(cat.stderrText.contains("(code 10061)"))
    }

    @Test func refusedExitsOneWithTheLegacyCode() throws {
        let closed = try ClosedPort()
        let cat = try Peer([Self.inetcat, "127.0.0.1", "\(closed.port)"])
        #expect(try cat.finish() == 1)
        #expect(Self.matches(cat.stderrText, #"^inetcat: error: .*refused.* \(code 10061\)\n$"#), "\(cat.stderrText)")
    }

    @Test(arguments: [
        (["127.0.0.1"], "HOST and PORT"),
        (["127.0.0.1", "http"], "'http'"),
        (["127.0.0.1", "70000"], "'70000'"),
        (["-w", "0", "127.0.0.1", "80"], "--timeout"),
        (["--listen"], "PORT"),
        (["--echo", "127.0.0.1", "80"], "--echo"),
        (["--bogus", "127.0.0.1", "80"], "--bogus"),
        (["--events", "--event-msg", "1024", "127.0.0.1", "80"], "--event-msg"),
    ])
    func usageErrorsExitTwoNamingTheArgument(arguments: [String], named: String) throws {
        let cat = try Peer([Self.inetcat] + arguments)
        #expect(try cat.finish() == 2, "\(arguments)")
        #expect(cat.stderrText.contains(named), "\(arguments): \(cat.stderrText)")
    }

    @Test func libraryRejectionsExitOneWithTheirCode() throws {
        let urlHost = try Peer([Self.inetcat, "http://example.com", "80"])
        #expect(try urlHost.finish() == 1)
        #expect(urlHost.stderrText.contains("URL"))
        #expect(urlHost.stderrText.contains("(code \(0x8004_0101 as UInt32))"))
        let badLocal = try Peer([Self.inetcat, "-s", "not-an-ip", "127.0.0.1", "80"])
        #expect(try badLocal.finish() == 1)
        #expect(badLocal.stderrText.contains("not-an-ip"))
    }

    @Test func demoRunsEveryLegAndExitsZero() throws {
        let demo = try Peer([Self.inetcat, "demo"])
        #expect(try demo.finish() == 0, "\(demo.stderrText)")
        for step in [
            "listening on 127.0.0.1:", "async: connected", "echoed back: \"hello from async/await\"",
            "blocking: connected", "udp: sent \"ping\"", "server answered \"pong\"",
            "delegate: connect event (error: none)", "delegate: echoed back: \"hello from a delegate\"",
            "legacy: event=connect", "legacy: echoed back: \"hello from legacy\"", "tls: connected, TLSv1.3",
            "verified=yes", "tls: echoed back: \"hello over TLS\"", "code 10061", "done",
        ] {
            #expect(demo.stdoutText.contains(step), "missing '\(step)' in:\n\(demo.stdoutText)")
        }
    }
}
