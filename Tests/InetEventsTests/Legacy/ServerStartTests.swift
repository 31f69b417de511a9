import Foundation
import Glibc
import InetTestSupport
import Testing
@testable import InetCore
@testable import InetEvents

/// `InetServerStart` (issue 13): a server thread, one thread per client, the callback's events,
/// `InetDisconnect` on client and server handles — against socat clients.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ServerStartTests {
    /// What the callback saw, per client handle.
    final class Log: Sendable {
        let events = Locked<[InetHandle: [UInt32]]>([:])
        let params = Locked<Set<UInt>>([])
        let threads = Locked<Set<UInt32>>([])
        func add(_ h: InetHandle, _ event: UInt32, _ param: UInt) {
            events.withLock { $0[h, default: []].append(event) }
            params.withLock { _ = $0.insert(param) }
            threads.withLock { _ = $0.insert(Inet.currentThreadID) }
        }
    }

    static func port(_ server: InetHandle) -> UInt32 {
        var address = ""
        var port: UInt32 = 0
        _ = Inet.getLocalAddress(server, &address, &port)
        return port
    }

    @Test func aLineEchoServerServesEachClientOnItsOwnThread() throws {
        let log = Log()
        // The C program's callback: echo each line; QUIT disconnects the client from the server side.
        let server = Inet.serverStart(
            "127.0.0.1", 0, 0, 0, 10, 0, INET_OPTION_NONE,
            { hClient, nEventId, dwError, dwParam in
                log.add(hClient, nEventId, dwParam)
                switch nEventId {
                case INET_EVENT_READ:
                    var line = ""
                    while Inet.readLine(hClient, &line) {  // blocking is fine: this is the client's thread
                        if line == "QUIT" {
                            _ = Inet.disconnect(hClient)
                            return
                        }
                        _ = Inet.writeLine(hClient, line.uppercased())
                    }
                default: break
                }
            }, 0xAB, nil)
        #expect(server != INVALID_SOCKET)
        #expect(Inet.getStatus(server) == INET_STATUS_LISTEN)
        let port = Self.port(server)
        var peers: [Peer] = []
        for i in 0..<3 {
            let peer = try Peer(["socat", "-t", "10", "-", "TCP:127.0.0.1:\(port)"], stdin: true)
            peer.send(Array("one \(i)\r\ntwo\nQUIT\r\n".utf8))
            peer.closeInput()
            peers.append(peer)
        }
        for (i, peer) in peers.enumerated() {
            #expect(try peer.finish() == 0)
            #expect(peer.stdoutText == "ONE \(i)\r\nTWO\r\n")
        }
        let events = log.events.withLock { $0 }
        #expect(events.count == 3)
        for (_, list) in events {
            #expect(list.first == INET_EVENT_CONNECT)
            #expect(list.contains(INET_EVENT_READ))
            #expect(!list.contains(INET_EVENT_DISCONNECT))  // the server disconnected it: no event
        }
        #expect(log.params.withLock { $0 } == [0xAB])
        #expect(log.threads.withLock { $0.count } == 3)  // one thread per client
        #expect(Inet.disconnect(server) == 0)
        #expect(Inet.getStatus(server) == INET_STATUS_UNUSED)
    }

    @Test func clientCloseTimeoutAndStoppingTheServer() throws {
        let log = Log()
        let server = Inet.serverStart(
            "127.0.0.1", 0, 0, 1, 1, 0, INET_OPTION_NONE,
            { h, event, _, param in
                log.add(h, event, param)
            }, 7, nil)
        #expect(server != INVALID_SOCKET)
        let port = Self.port(server)
        // A client that says nothing for a while: CONNECT, then TIMEOUT after 1 s, and it stays.
        let quiet = try Peer(["socat", "-t", "1", "-", "TCP:127.0.0.1:\(port)"], stdin: true)
        defer { quiet.stop() }
        let deadline = Deadline.after(.seconds(10))
        while !(log.events.withLock { $0.values.first?.contains(INET_EVENT_TIMEOUT) ?? false }),
            deadline.remaining > .zero
        {
            sched_yield()
        }
        #expect(log.events.withLock { $0.values.first ?? [] }.prefix(2) == [INET_EVENT_CONNECT, INET_EVENT_TIMEOUT])
        // maxClients 1: a second client is closed at once.
        let second = try Peer(["socat", "-t", "1", "-", "TCP:127.0.0.1:\(port)"], stdin: true)
        #expect(try second.finish(timeout: .seconds(10)) == 0)
        #expect(log.events.withLock { $0.count } == 1)
        // Stopping the server disconnects its client (no DISCONNECT event for a local disconnect).
        #expect(Inet.disconnect(server) == 0)
        #expect(try quiet.finish(timeout: .seconds(10)) == 0)
        #expect(!(log.events.withLock { $0.values.first ?? [] }.contains(INET_EVENT_DISCONNECT)))
    }

    @Test func aClientThatClosesGetsDisconnect() throws {
        let log = Log()
        let server = Inet.serverStart(
            "127.0.0.1", 0, 0, 0, 0, 0, INET_OPTION_NONE,
            { h, event, _, param in
                log.add(h, event, param)
            }, 1, nil)
        let port = Self.port(server)
        let client = try Peer(["socat", "-", "TCP:127.0.0.1:\(port)"], stdin: true)
        client.send(Array("bye".utf8))
        client.closeInput()
        #expect(try client.finish() == 0)
        let deadline = Deadline.after(.seconds(10))
        while !(log.events.withLock { $0.values.first?.contains(INET_EVENT_DISCONNECT) ?? false }),
            deadline.remaining > .zero
        {
            sched_yield()
        }
        #expect(
            log.events.withLock { $0.values.first ?? [] } == [
                INET_EVENT_CONNECT, INET_EVENT_READ, INET_EVENT_DISCONNECT,
            ])
        #expect(Inet.disconnect(server) == 0)
    }
    /// A READ callback's bytes wait in the handle: `isReadable` says so and `peek` shows them
    /// (found by a ported server that looped `while Inet.isReadable(h, 0)`).
    @Test func readDataIsReadableAndPeekableInTheCallback() throws {
        let seen = Locked<[String]>([])
        let server = Inet.serverStart(
            "127.0.0.1", 0, 0, 0, 0, 0, INET_OPTION_NONE,
            { h, event, _, _ in
                guard event == INET_EVENT_READ else { return }
                var bytes = [UInt8](repeating: 0, count: 64)
                let readable = Inet.isReadable(h, 0)
                let peeked = bytes.withUnsafeMutableBytes { Int(Inet.peek(h, $0)) }
                let peekText = String(decoding: bytes.prefix(max(peeked, 0)), as: UTF8.self)
                var line = ""
                let got = Inet.readLine(h, &line)
                seen.withLock { $0.append("\(readable) \(peekText) \(got) \(line) \(Inet.isReadable(h, 0))") }
                _ = Inet.writeLine(h, "ok")
            }, 0, nil)
        let port = Self.port(server)
        let client = try Peer(["socat", "-t", "5", "-", "TCP:127.0.0.1:\(port)"], stdin: true)
        client.send(Array("ping\n".utf8))
        _ = try client.waitForStdout(containing: "ok\r\n")
        #expect(seen.withLock { $0 } == ["true ping\n true ping false"])
        client.closeInput()
        #expect(try client.finish() == 0)
        #expect(Inet.serverStop(server))
    }
}
