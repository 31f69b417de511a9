import InetTestSupport
import Testing
@testable import InetCore

/// Byte-exact transfers over real loopback sockets.
@Suite struct TransferTests {
    static let total = 64 << 20
    static let chunk = 64 << 10

    /// Writes `total` pattern bytes (and half-closes) while reading everything back; returns both checksums.
    static func sendAndReceive(
        _ connection: Connection, total: Int = total
    ) async throws -> (sent: TestSupport.Checksum, received: TestSupport.Checksum) {
        async let sent: TestSupport.Checksum = {
            var sum = TestSupport.Checksum()
            var written = 0
            var seed: UInt64 = 1
            while written < total {
                let bytes = TestSupport.pattern(min(chunk, total - written), seed: seed)
                seed += 1
                try await connection.write(bytes)
                sum.add(bytes)
                written += bytes.count
            }
            try await connection.shutdown(.output)
            return sum
        }()
        var received = TestSupport.Checksum()
        for try await bytes in connection.inbound { received.add(bytes) }
        return (try await sent, received)
    }

    @Test func sixtyFourMiBBothWaysBetweenInetPeers() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        // The server sends its own 64 MiB while counting what arrives.
        async let server: (TestSupport.Checksum, TestSupport.Checksum) = {
            let connection = try await listener.accept()
            let result = try await Self.sendAndReceive(connection)
            try await connection.close()
            return (result.sent, result.received)
        }()
        let client = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect()
        let (clientSent, clientReceived) = try await Self.sendAndReceive(client)
        let (serverSent, serverReceived) = try await server
        #expect(clientSent.count == Self.total)
        #expect(serverReceived == clientSent)
        #expect(clientReceived == serverSent)
        try await client.close()
    }

    @Test func sixtyFourMiBThroughSocatEcho() async throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1,reuseaddr", "PIPE")
        defer { socat.stop() }
        let client = try await Connector(host: "127.0.0.1", port: port).connect()
        let (sent, received) = try await Self.sendAndReceive(client)
        #expect(received.count == Self.total)
        #expect(received == sent)
    }

    @Test func udpDatagramsBothWays() async throws {
        let server = try Listener(address: "127.0.0.1", port: 0, protocol: .udp)
        let client = try await Connector(host: "127.0.0.1", port: Int(server.localAddress.port), protocol: .udp)
            .connect()
        for size in [0, 1, 512, 1400, 9000, 65507] {
            let payload = TestSupport.pattern(size, seed: UInt64(size) + 7)
            try await client.write(payload)
            let datagram = try await server.receive(timeout: .seconds(5))
            #expect(datagram.bytes == payload)
            #expect(datagram.peer == client.localAddress)
            let reply = Array(payload.reversed())
            try await server.send(reply, to: datagram.peer)
            #expect(try await client.read(timeout: .seconds(5)) == reply)
        }
        await #expect(throws: InetError.self) { try await client.write([UInt8](repeating: 0, count: 65508)) }
    }

    @Test func udpAgainstSocat() async throws {
        // socat takes the first sender as its peer and echoes its datagrams. It cannot report an
        // ephemeral UDP port, so it gets one we found free.
        let port = try TestSupport.unusedPort(.udp)
        let socat = try Peer(["socat", "-d", "-d", "UDP-LISTEN:\(port),bind=127.0.0.1", "PIPE"])
        try socat.waitForStderr(containing: "listening on")
        defer { socat.stop() }
        let client = try await Connector(host: "127.0.0.1", port: port, protocol: .udp).connect()
        for i in 0..<5 {
            let payload = TestSupport.pattern(100 + i, seed: UInt64(i))
            try await client.write(payload)
            #expect(try await client.read(timeout: .seconds(5)) == payload)
        }
    }

    @Test func peerCloseEndsInboundAndDataBeforeItStaysReadable() async throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "SYSTEM:'printf hello-then-close'")
        defer { socat.stop() }
        let client = try await Connector(host: "127.0.0.1", port: port).connect()
        var all: [UInt8] = []
        for try await chunk in client.inbound { all += chunk }
        #expect(String(decoding: all, as: UTF8.self) == "hello-then-close")
        #expect(try await client.read().isEmpty)  // stays at end of stream
    }

    @Test func peerResetIsReported() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let client = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect()
        let server = try await listener.accept()
        try server.resetForTesting()
        await #expect { _ = try await client.read(timeout: .seconds(5)) } throws: { error in
            (error as? InetError)?.code == .connectionReset
        }
    }
}
