import Glibc
import InetTestSupport
import Testing
@testable import InetCore

/// Fault paths through the syscall seam (`SyscallScript`), on real loopback sockets without root
/// or namespaces: partial writes, `EINTR` on every call kind, short reads, `ECONNRESET` in the
/// middle of a write, `EMFILE` on accept. Serialized: a script is process-wide.
@Suite(.serialized) struct SyscallFaultTests {
    /// An echo server in this process (its syscalls go through the same seam).
    static func echoServer() throws -> Listener {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        Task {
            while let connection = try? await listener.accept() {
                Task {
                    while let chunk = try? await connection.read(), !chunk.isEmpty { try await connection.write(chunk) }
                    try? await connection.close()
                }
            }
        }
        return listener
    }

    static func descriptor(of connection: Connection) throws -> Int32 {
        let core = connection.core
        return try runOnLoop(connection.eventLoop, "fd") { .success(core.value.descriptor?.raw ?? -1) }
    }

    /// 1 MiB each way with every send cut to 1,000 bytes, every read to 777, and EINTR before
    /// the first calls of each kind: every byte arrives, in order.
    @Test func partialWritesShortReadsAndEINTRLoseNothing() async throws {
        let server = try Self.echoServer()

        let rules = [
            SyscallRule(.send, times: 8, .fail(EINTR)), SyscallRule(.read, times: 8, .fail(EINTR)),
            SyscallRule(.send, times: .max, .limit(1000)), SyscallRule(.read, times: .max, .limit(777)),
        ]
        try await SyscallScript.with(rules) {
            let client = try await Connector(
                host: "127.0.0.1", port: Int(server.localAddress.port), timeout: .seconds(10)
            ).connect()
            let bytes = (0..<4).flatMap { TestSupport.pattern(256 << 10, seed: UInt64($0)) }
            let writer = Task {
                for start in stride(from: 0, to: bytes.count, by: 64 << 10) {
                    try await client.write(Array(bytes[start..<start + (64 << 10)]))
                }
            }
            var got: [UInt8] = []
            while got.count < bytes.count {
                let chunk = try await client.read(timeout: .seconds(20))
                if chunk.isEmpty { break }
                #expect(chunk.count <= 777)
                got += chunk
            }
            try await writer.value
            #expect(got == bytes)
            #expect(SyscallScript.injected(.send) > 1000 && SyscallScript.injected(.read) > 1000)
            try await client.close()
        }
        await server.close()
    }

    /// The fourth send of the client fails with ECONNRESET: the write in progress (or the next)
    /// fails with `connectionReset` once, and every later call reports the same error.
    @Test func connectionResetInTheMiddleOfAWrite() async throws {
        let server = try Self.echoServer()

        let client = try await Connector(host: "127.0.0.1", port: Int(server.localAddress.port), timeout: .seconds(10))
            .connect()
        let fd = try Self.descriptor(of: client)
        await SyscallScript.with([SyscallRule(.send, fd: fd, skip: 3, .fail(ECONNRESET))]) {
            var failure: InetError?
            for _ in 0..<64 where failure == nil {
                do throws(InetError) { try await client.write([UInt8](repeating: 1, count: 256 << 10)) } catch {
                    failure = error
                }
            }
            #expect(failure?.code == .connectionReset, "\(String(describing: failure))")
            #expect(failure?.message.contains("write to 127.0.0.1") == true, "\(String(describing: failure))")
            await #expect { try await client.read(timeout: .seconds(5)) } throws: {
                ($0 as? InetError)?.code == .connectionReset
            }
            await #expect { try await client.write([1]) } throws: { ($0 as? InetError)?.code == .connectionReset }
            #expect(SyscallScript.injected(.send) == 1)
        }
        await server.close()
    }

    /// accept4 fails with EMFILE while a client waits: the accept reports `tooManyOpenFiles`,
    /// the waiting client is closed at once and counted (not left hanging with no readiness edge
    /// to come), and the next client is accepted and served.
    @Test func emfileOnAcceptRefusesTheWaitingClientAndServesTheNext() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)

        let port = Int(listener.localAddress.port)
        let connector = Connector(host: "127.0.0.1", port: port, timeout: .seconds(10))
        try await SyscallScript.with([SyscallRule(.accept, .fail(EMFILE))]) {
            let waiting = try await connector.connect()  // in the backlog before anyone accepts
            await #expect { try await listener.accept(timeout: .seconds(5)) } throws: { error in
                let error = error as? InetError
                return error?.code == .tooManyOpenFiles
                    && error?.message.contains("1 waiting client(s) closed at once") == true
            }
            // Closed at once: the waiting client sees its end (EOF), not silence.
            let end = try? await waiting.read(timeout: .seconds(5))
            #expect(end == [] || end == nil)
            let next = try await connector.connect()
            let accepted = try await listener.accept(timeout: .seconds(5))
            try await next.write("served")
            #expect(try await accepted.read(timeout: .seconds(5)) == Array("served".utf8))
        }
        await listener.close()
    }

    // EAGAIN where the kernel could answer it: a would-block that races a new arrival. With
    // edge-triggered epoll the socket must wait for the next edge and then take everything —
    // what came before the would-block included. (A would-block with no later edge would wait
    // for ever, in Inet as in any edge-triggered reactor; the kernel never returns one then.)

    /// Blocks until `fd` has input (poll(2)), so a test knows bytes reached the socket.
    static func awaitInput(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 10_000) == 1
    }

    /// The client's read meets EAGAIN with "A" already in its socket; "B" arrives: it reads "AB".
    @Test func aReadThatMeetsEAGAINTakesEverythingAtTheNextEdge() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let client = try await Connector(
            host: "127.0.0.1", port: Int(listener.localAddress.port), timeout: .seconds(10)
        ).connect()
        let peer = try await listener.accept(timeout: .seconds(5))
        let fd = try Self.descriptor(of: client)
        try await peer.write("A")
        #expect(Self.awaitInput(fd))
        try await SyscallScript.with([SyscallRule(.read, fd: fd, times: 1, .fail(EAGAIN))]) {
            let reader = Task { () throws -> [UInt8] in
                var got: [UInt8] = []
                while got.count < 2 {
                    let chunk = try await client.read(timeout: .seconds(10))
                    if chunk.isEmpty { break }
                    got += chunk
                }
                return got
            }
            #expect(await SyscallScript.injection(.read))
            try await peer.write("B")
            #expect(try await reader.value == Array("AB".utf8))
        }
        try await client.close()
        await listener.close()
    }

    /// The client's send meets EAGAIN: the write is accepted (queued), and the next wakeup of the
    /// socket — the peer's byte — reports it writable, so the queue goes out whole.
    @Test func aSendThatMeetsEAGAINIsQueuedAndFlushedAtTheNextEdge() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let client = try await Connector(
            host: "127.0.0.1", port: Int(listener.localAddress.port), timeout: .seconds(10)
        ).connect()
        let peer = try await listener.accept(timeout: .seconds(5))
        let fd = try Self.descriptor(of: client)
        try await SyscallScript.with([SyscallRule(.send, fd: fd, times: 1, .fail(EAGAIN))]) {
            try await client.write("queued, not lost")
            #expect(SyscallScript.injected(.send) == 1)
            try await peer.write("!")  // a new edge on the client's socket
            var got: [UInt8] = []
            while got.count < 16 {
                let chunk = try await peer.read(timeout: .seconds(10))
                if chunk.isEmpty { break }
                got += chunk
            }
            #expect(got == Array("queued, not lost".utf8))
            #expect(try await client.read(timeout: .seconds(5)) == Array("!".utf8))
        }
        try await client.close()
        await listener.close()
    }

    /// accept4 meets EAGAIN with a client waiting; a second client's arrival raises the next edge
    /// and both are accepted, in order.
    @Test func anAcceptThatMeetsEAGAINTakesBothClientsAtTheNextEdge() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let connector = Connector(host: "127.0.0.1", port: Int(listener.localAddress.port), timeout: .seconds(10))
        let first = try await connector.connect()  // in the backlog: the kernel completed it
        try await first.write("1")
        try await SyscallScript.with([SyscallRule(.accept, times: 1, .fail(EAGAIN))]) {
            let acceptor = Task { () throws -> [[UInt8]] in
                var greetings: [[UInt8]] = []
                for _ in 0..<2 {
                    let accepted = try await listener.accept(timeout: .seconds(10))
                    greetings.append(try await accepted.read(timeout: .seconds(5)))
                }
                return greetings
            }
            #expect(await SyscallScript.injection(.accept))
            let second = try await connector.connect()
            try await second.write("2")
            #expect(try await acceptor.value == [Array("1".utf8), Array("2".utf8)])
            try await second.close()
        }
        try await first.close()
        await listener.close()
    }

    /// connect(2) answers EAGAIN (Linux: no local port or route-cache entry free): that attempt
    /// fails with its own error naming the address, the next address is tried, and a connect
    /// with only that address reports `wouldBlock` (10035) with what was tried.
    @Test func aConnectThatMeetsEAGAINFailsThatAttemptOnly() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let port = Int(listener.localAddress.port)
        var twoAddresses = Connector(host: "dual.test", port: port, timeout: .seconds(10))
        twoAddresses.resolver = FixedResolver(addresses: ["127.0.0.2", "127.0.0.1"])
        try await SyscallScript.with([SyscallRule(.connect, times: 1, .fail(EAGAIN))]) {
            let connection = try await twoAddresses.connect()
            #expect(connection.remoteAddress.ipAddress == "127.0.0.1")
            try await connection.close()
        }
        let single = Connector(host: "127.0.0.1", port: port, timeout: .seconds(10))
        await SyscallScript.with([SyscallRule(.connect, times: 1, .fail(EAGAIN))]) {
            await #expect {
                try await single.connect()
            } throws: { error in
                let error = error as? InetError
                return error?.code == .wouldBlock && error?.code.legacyCode == 10035
                    && error?.message.contains("127.0.0.1:\(port)") == true
            }
        }
        let after = try await single.connect()  // nothing left stuck
        try await after.close()
        await listener.close()
    }
}
