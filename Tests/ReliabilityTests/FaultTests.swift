import Glibc
import InetTestSupport
import InetTLS
import Testing
@testable import InetCore
import InetEvents

/// Faults from the peer and from the process, each followed by a check that the same (single)
/// loop still serves another connection: a socat echo round trip.
@Suite(.serialized) struct FaultTests {
    /// A raw, hand-driven peer socket: listens on 127.0.0.1, accepts one client, and misbehaves
    /// as told (the faults need control no ready-made program gives).
    final class RawPeer {
        let listenFD: Int32
        let port: Int
        var client: Int32 = -1

        init(backlog: Int32 = 16) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            listenFD = fd
            port = Int(UInt16(bigEndian: address.sin_port))
            guard listen(fd, backlog) == 0 else { throw PeerError("listen failed") }
        }

        deinit {
            if client >= 0 { close(client) }
            close(listenFD)
        }

        /// Accepts the pending client (blocking; the connect already happened).
        func acceptClient() { client = accept(listenFD, nil, nil) }
        func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(client, $0.baseAddress, $0.count) } }
        /// Reads up to `count` bytes (blocking).
        func receive(_ count: Int) -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: count)
            let n = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, count) }
            return n > 0 ? Array(buffer[..<n]) : []
        }
        /// Closes with RST (SO_LINGER 0).
        func reset() {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(client)
            client = -1
        }
        func halfClose() { shutdown(client, Int32(SHUT_WR)) }
        func closeClient() {
            close(client)
            client = -1
        }
    }

    /// One loop for everything in a test, so "the loop still serves others" means something.
    static func singleLoop() throws -> EventLoopGroup { try EventLoopGroup(loopCount: 1) }

    static func connector(_ port: Int, _ group: EventLoopGroup, timeout: Duration = .seconds(5)) -> Connector {
        var c = Connector(host: "127.0.0.1", port: port, timeout: timeout)
        c.group = group
        return c
    }

    /// An echo round trip through socat on the group's loop.
    static func loopStillServes(_ group: EventLoopGroup) async throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        let witness = try await connector(port, group).connect()
        try await witness.write("still here")
        var got: [UInt8] = []
        while got.count < 10 {
            let bytes = try await witness.read()
            if bytes.isEmpty { break }
            got += bytes
        }
        #expect(String(decoding: got, as: UTF8.self) == "still here")
        try await witness.close()
    }

    @Test func peerResetMidStream() async throws {
        let group = try Self.singleLoop()
        defer { try? group.shutdownFromDefer() }
        let peer = try RawPeer()
        let connection = try await Self.connector(peer.port, group).connect()
        peer.acceptClient()
        peer.send(Array("partial".utf8))
        #expect(try await connection.read() == Array("partial".utf8))  // bytes before the reset arrive
        peer.reset()
        await #expect { _ = try await connection.read() } throws: { ($0 as? InetError)?.code == .connectionReset }
        await #expect { try await connection.write("more") } throws: { ($0 as? InetError)?.code == .connectionReset }
        try await Self.loopStillServes(group)
    }

    @Test func peerHalfCloses() async throws {
        let group = try Self.singleLoop()
        defer { try? group.shutdownFromDefer() }
        let peer = try RawPeer()
        let connection = try await Self.connector(peer.port, group).connect()
        peer.acceptClient()
        peer.send(Array("last words".utf8))
        peer.halfClose()
        var got: [UInt8] = []
        while true {
            let bytes = try await connection.read()
            if bytes.isEmpty { break }  // end of stream after every byte
            got += bytes
        }
        #expect(String(decoding: got, as: UTF8.self) == "last words")
        try await connection.write("reply after your FIN")  // our direction stays open
        #expect(String(decoding: peer.receive(64), as: UTF8.self) == "reply after your FIN")
        try await connection.close()
        try await Self.loopStillServes(group)
    }

    @Test func peerStopsReading() async throws {
        let group = try Self.singleLoop()
        defer { try? group.shutdownFromDefer() }
        let peer = try RawPeer()
        var connector = Self.connector(peer.port, group)
        connector.writeBufferLimit = 256 * 1024
        let connection = try await connector.connect()
        peer.acceptClient()  // and never reads
        let chunk = [UInt8](repeating: 0x5A, count: 64 * 1024)
        let residentBefore = ProcessFacts.residentBytes
        var accepted = 0
        var backpressure: InetError?
        for _ in 0..<1_000 {  // bounded: at most 64 MiB offered
            do {
                try await connection.write(chunk, timeout: .milliseconds(300))
                accepted += chunk.count
            } catch {
                backpressure = error
                break
            }
        }
        #expect(backpressure?.code == .timedOut, "the writer must be held back, not buffer without bound")
        // What was accepted is bounded by the queue limit plus what the kernel's buffers hold.
        #expect(accepted < 16 * 1024 * 1024, "accepted \(accepted) bytes")
        #expect(ProcessFacts.residentBytes - residentBefore < 32 * 1024 * 1024)
        try await Self.loopStillServes(group)
    }

    @Test func tooManyOpenFilesThenRecovery() async throws {
        let group = try Self.singleLoop()
        defer { try? group.shutdownFromDefer() }
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1,fork,reuseaddr", "PIPE")
        defer { socat.stop() }
        let open = ProcessFacts.openDescriptors
        let previous = ProcessFacts.setSoftDescriptorLimit(open + 8)
        var held: [Connection] = []
        var failure: InetError?
        for _ in 0..<64 {
            do { held.append(try await Self.connector(port, group).connect()) } catch {
                failure = error
                break
            }
        }
        #expect(failure?.code == .tooManyOpenFiles, "\(String(describing: failure))")
        #expect(failure?.message.contains("socket") == true, "the error says what failed: \(failure?.message ?? "")")
        for connection in held { try await connection.close() }
        held.removeAll()
        _ = ProcessFacts.setSoftDescriptorLimit(previous)
        try await Self.loopStillServes(group)  // descriptors free again: connects work
    }

    /// Starts a `.secure` connect to a raw peer and returns once the peer holds its ClientHello.
    static func secureConnectToRawPeer(_ group: EventLoopGroup) throws -> (RawPeer, Task<Connection, any Error>) {
        let peer = try RawPeer()
        var connector = Self.connector(peer.port, group)
        connector.options.insert(.secure)
        connector.credentials = SecurityCredentials(trustRootsFile: TestCertificates.path("ca.pem"))
        let attempt = Task { [connector] in try await connector.connect() }
        peer.acceptClient()
        _ = peer.receive(4096)  // the ClientHello
        return (peer, attempt)
    }

    @Test func tlsPeerSendsGarbage() async throws {
        let group = try Self.singleLoop()
        defer { try? group.shutdownFromDefer() }
        let (peer, attempt) = try Self.secureConnectToRawPeer(group)  // the ClientHello
        peer.send(Array("HTTP/1.1 400 Bad Request\r\n\r\nthis is not TLS at all".utf8))
        await #expect { _ = try await attempt.value } throws: { error in
            guard let error = error as? InetError else { return false }
            return [.tlsHandshakeFailed, .tlsProtocolVersion].contains(error.code)
        }
        try await Self.loopStillServes(group)
    }

    @Test func tlsPeerClosesMidHandshake() async throws {
        let group = try Self.singleLoop()
        defer { try? group.shutdownFromDefer() }
        let (peer, attempt) = try Self.secureConnectToRawPeer(group)
        peer.closeClient()
        await #expect { _ = try await attempt.value } throws: { error in
            guard let error = error as? InetError else { return false }
            return error.message.lowercased().contains("handshake") || error.code == .connectionReset
                || error.code == .tlsHandshakeFailed
        }
        try await Self.loopStillServes(group)
    }

    /// A delegate that closes its connection inside its own read callback: no later event, no
    /// crash, and the loop goes on.
    @Test func delegateClosesInsideItsCallback() async throws {
        let group = try Self.singleLoop()
        defer { try? group.shutdownFromDefer() }
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        final class Closer: ConnectionDelegate, @unchecked Sendable {  // safe: events on the loop; `events` locked
            let events = Locked<[String]>([])
            func connectionDidConnect(_ connection: EventConnection, error: InetError?) {
                _ = try? connection.write(Array("ping".utf8))
            }
            func connectionCanRead(_ connection: EventConnection) {
                events.withLock { $0.append("read") }
                try? connection.close()
                _ = try? connection.write(Array("after close".utf8))  // refused, not a crash
                events.withLock { $0.append("closed") }
            }
            func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) {
                events.withLock { $0.append("disconnect") }
            }
        }
        let closer = Closer()
        _ = try Self.connector(port, group).connect(delegate: closer)
        // The witness round trip runs on the same loop after the callback has run.
        let deadline = ContinuousClock.now + .seconds(10)
        while closer.events.withLock({ $0.count }) < 2, ContinuousClock.now < deadline {
            try await Self.loopStillServes(group)
        }
        try await Self.loopStillServes(group)
        #expect(closer.events.withLock { $0 } == ["read", "closed"])
    }

    @Test func groupShutdownWithConnectionsOpen() async throws {
        let group = try EventLoopGroup(loopCount: 2)
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1,fork,reuseaddr", "PIPE")
        defer { socat.stop() }
        let descriptorsBefore = ProcessFacts.openDescriptorSet
        var connections: [Connection] = []
        for _ in 0..<50 { connections.append(try await Self.connector(port, group).connect()) }
        // Every connection has a read waiting (nothing will arrive).
        let outcomes = Locked<[InetErrorCode?]>([])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for connection in connections {
                tasks.addTask {
                    do {
                        _ = try await connection.read()
                        outcomes.withLock { $0.append(nil) }
                    } catch let error as InetError {
                        outcomes.withLock { $0.append(error.code) }
                    }
                }
            }
            try await group.shutdown()  // returns once every loop stopped: waiters failed, sockets closed
            try await tasks.waitForAll()
        }
        #expect(outcomes.withLock { $0 } == Array(repeating: .eventLoopShutdown, count: 50))
        connections.removeAll()
        let leftOpen = ProcessFacts.openDescriptorSet.subtracting(descriptorsBefore)
        #expect(leftOpen.isEmpty, "left open: \(leftOpen.prefix(5))")
    }

    /// A listener whose accept queue is full drops further SYNs (Linux, `tcp_abort_on_overflow`
    /// 0): a connect to it times out, on loopback, without leaving the machine. The loop serves
    /// a round trip while that connect waits.
    @Test func connectTimeoutWhileTheLoopServesOthers() async throws {
        let group = try Self.singleLoop()
        defer { try? group.shutdownFromDefer() }
        let full = try BlackHole()
        let connector = Self.connector(full.port, group, timeout: .seconds(1))
        let start = ContinuousClock.now
        let attempt = Task { try await connector.connect() }
        try await Self.loopStillServes(group)  // while the connect waits for a SYN-ACK that never comes
        await #expect { _ = try await attempt.value } throws: { ($0 as? InetError)?.code == .timedOut }
        let elapsed = ContinuousClock.now - start
        #expect(
            elapsed >= .seconds(1) && elapsed < .seconds(1) + .seconds(1) * ProcessFacts.slowdown, "took \(elapsed)")
    }

    @Test func refusedThenServes() async throws {
        let group = try Self.singleLoop()
        defer { try? group.shutdownFromDefer() }
        let closed = try ClosedPort()
        await #expect { _ = try await Self.connector(closed.port, group).connect() } throws: {
            ($0 as? InetError)?.code == .connectionRefused
        }
        try await Self.loopStillServes(group)
    }

    /// Resolution runs off the loop: a name that cannot resolve fails with a resolver code and
    /// the loop goes on serving.
    @Test func dnsFailureThenServes() async throws {
        let group = try Self.singleLoop()
        defer { try? group.shutdownFromDefer() }
        var connector = Self.connector(80, group, timeout: .seconds(5))
        connector.host = "no-such-host.invalid"
        await #expect { _ = try await connector.connect() } throws: { error in
            guard let error = error as? InetError else { return false }
            return [.hostNotFound, .tryAgain, .noRecovery].contains(error.code)
                && error.message.contains("no-such-host.invalid")
        }
        try await Self.loopStillServes(group)
    }
}
