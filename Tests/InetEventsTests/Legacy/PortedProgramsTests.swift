import Foundation
import Glibc
import InetTestSupport
import Testing
@testable import InetCore
@testable import InetEvents

/// Programs written against the original C API, ported line for line (issue 13): their logic is
/// the C program's, with its names (`INET_*`, `LOWORD`), against peers nobody here wrote.
@Suite(.serialized) struct PortedProgramsTests {
    /// The blocking worker-thread client: `GET / HTTP/1.0` with WriteLine, the response read with
    /// ReadLine, from `python3 -m http.server`.
    @Test func blockingHTTPClientReadsLinesFromPythonsServer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "inet-http-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let body = ["<html>", "line two", "last line without a newline"]
        try body.joined(separator: "\n").write(
            to: directory.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        let server = try Peer([
            "python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory.path, "0",
        ])
        defer { server.stop() }
        let banner = try server.waitForStdout(containing: "port ")
        let port = try #require(
            banner.split(separator: " ").firstIndex(of: "port").flatMap { i in
                UInt32(banner.split(separator: " ")[banner.split(separator: " ").index(after: i)])
            })

        // --- the ported program ---
        let hSocket = Inet.connect("127.0.0.1", port, INET_PROTOCOL_TCP, 10, INET_OPTION_NONE, nil)
        #expect(hSocket != INVALID_SOCKET)
        #expect(Inet.writeLine(hSocket, "GET / HTTP/1.0"))
        #expect(Inet.writeLine(hSocket, "Host: 127.0.0.1\n"))  // a bare LF becomes CRLF
        #expect(Inet.writeLine(hSocket, ""))
        var line = ""
        var status = ""
        var headers: [String] = []
        if Inet.readLine(hSocket, &line) { status = line }
        while Inet.readLine(hSocket, &line), !line.isEmpty { headers.append(line) }
        var lines: [String] = []
        while true {
            let more = Inet.readLine(hSocket, &line)
            if more || !line.isEmpty { lines.append(line) }  // text returned with false is used too
            if !more { break }
        }
        let endError = Inet.getLastError()
        #expect(Inet.disconnect(hSocket) == 0)
        // ---

        #expect(status.hasPrefix("HTTP/1.0 200"), "\(status)")
        #expect(headers.contains { $0.lowercased().hasPrefix("content-length:") }, "\(headers)")
        #expect(lines == body)
        #expect(endError == InetErrorCode.connectionClosed.legacyCode)
    }

    /// The threaded line-echo server: ListenEx + Accept on a server thread, one worker per
    /// client that takes its handle with `attachThread(h, 0)` first thing and echoes lines until
    /// QUIT; three socat clients at once.
    @Test func threadedLineEchoServerWithAttachThread() throws {
        let hListen = Inet.listenEx("127.0.0.1", 0, 5, INET_OPTION_REUSEADDRESS | INET_OPTION_EXCLUSIVE)
        #expect(hListen != INVALID_SOCKET)
        var address = ""
        var port: UInt32 = 0
        #expect(Inet.getLocalAddress(hListen, &address, &port) == 0)
        #expect(address == "127.0.0.1")
        let clients = 3
        let workerErrors = Locked<[String]>([])
        let server = Thread {
            // The server thread takes the listening handle, as the worker threads take theirs.
            _ = Inet.attachThread(hListen, 0)
            var workers: [Thread] = []
            for _ in 0..<clients {
                let hClient = Inet.accept(hListen, 10)
                if hClient == INVALID_SOCKET {
                    workerErrors.withLock { $0.append("accept: \(Inet.getLastError())") }
                    break
                }
                let worker = Thread {
                    // The documented hand-off: the new thread takes the handle first thing.
                    let previous = Inet.attachThread(hClient, 0)
                    if previous == UInt32(bitPattern: INET_ERROR) {
                        workerErrors.withLock { $0.append("attach: \(Inet.getLastError())") }
                    }
                    var line = ""
                    while Inet.readLine(hClient, &line), line != "QUIT" {
                        if !Inet.writeLine(hClient, line) { break }
                    }
                    _ = Inet.disconnect(hClient)
                }
                workers.append(worker)
                worker.start()
            }
            _ = workers
        }
        server.start()
        var peers: [Peer] = []
        for i in 0..<clients {
            let peer = try Peer(["socat", "-t", "10", "-", "TCP:127.0.0.1:\(port)"], stdin: true)

            peer.send(Array("hello \(i)\r\nsecond line\nQUIT\r\n".utf8))
            peer.closeInput()
            peers.append(peer)
        }
        for (i, peer) in peers.enumerated() {
            #expect(try peer.finish() == 0)
            #expect(peer.stdoutText == "hello \(i)\r\nsecond line\r\n")
        }
        #expect(workerErrors.withLock { $0 } == [])
        _ = Inet.attachThread(hListen, 0)
        #expect(Inet.disconnect(hListen) == 0)
        #expect(Inet.getStatus(hListen) == INET_STATUS_UNUSED)
    }

    /// The message-pump client in the C program's shape: CONNECT/WRITE/READ/DISCONNECT taken
    /// apart with LOWORD/HIWORD, partial writes resumed on WRITE, reads until 10035, events
    /// disabled and enabled again, against a socat echo.
    @Test func messagePumpClientWithLowordHiword() throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        let WM_SOCKET = WM_USER + 1
        let queue = MessageQueue()
        let hSocket = Inet.asyncConnect(
            "127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 10, INET_OPTION_NODELAY, nil,
            LegacyEventAdapter(eventMessage: WM_SOCKET, sink: .queue(queue)))
        #expect(hSocket != INVALID_SOCKET)
        // 8 MiB: more than the socket buffers hold
        let message = Array(repeating: Array("0123456789abcdef".utf8), count: 512 * 1024).flatMap { $0 }
        var sent = 0
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        var sawDisable = false
        var events: [UInt32] = []
        pump: while received.count < message.count, let msg = queue.next(timeout: .seconds(20)) {
            guard msg.eventMessage == WM_SOCKET else { continue }
            let nEvent = LOWORD(msg.lParam)
            let nError = HIWORD(msg.lParam)
            events.append(nEvent)
            switch nEvent {
            case INET_EVENT_CONNECT:
                if nError != 0 {
                    Issue.record("connect failed: \(nError)")
                    break pump
                }
            case INET_EVENT_WRITE:
                while sent < message.count {
                    let n = message[sent...].withUnsafeBytes {
                        Inet.write(hSocket, UnsafeRawBufferPointer(rebasing: $0.prefix(65536)))
                    }
                    if n == INET_ERROR {
                        if Inet.getLastError() != 10035 { Issue.record("write: \(Inet.getLastError())") }
                        break  // resumed on the next WRITE
                    }
                    sent += Int(n)
                }
            case INET_EVENT_READ:
                while true {
                    let n = buffer.withUnsafeMutableBytes { Inet.read(hSocket, $0) }
                    if n == INET_ERROR {
                        if Inet.getLastError() != 10035 { Issue.record("read: \(Inet.getLastError())") }
                        break
                    }
                    if n == 0 { break pump }
                    received += buffer[0..<Int(n)]
                }
                if !sawDisable, received.count > message.count / 2 {
                    sawDisable = true
                    #expect(Inet.disableEvents(hSocket) == 0)
                    #expect(Inet.enableEvents(hSocket) == 0)
                }
            case INET_EVENT_DISCONNECT:
                break pump
            default:
                break
            }
        }
        #expect(received.count == message.count, "sent \(sent), events \(events.count), last \(events.suffix(5))")
        let same = received == message  // compared as a Bool: a failing #expect would diff 8 MiB
        #expect(same)
        #expect(Array(events.prefix(2)) == [INET_EVENT_CONNECT, INET_EVENT_WRITE])
        #expect(events.filter { $0 == INET_EVENT_WRITE }.count > 1, "partial writes were resumed on WRITE")
        #expect(sawDisable)
        #expect(Inet.disconnect(hSocket) == 0)
    }
}
