import InetTestSupport
import Testing
@testable import InetCore

/// Framing (issue 14): exact counts, delimiters, lines and the bytes kept past a frame, over real
/// loopback sockets — the frames written a byte at a time, in one write, and by socat.
@Suite(.timeLimit(.minutes(1))) struct BufferedReaderTests {
    /// A connected pair: (client, the listener's side).
    static func pair() async throws -> (Connection, Connection, Listener) {
        let listener = try Listener(address: "127.0.0.1", port: 0, options: [.noInherit, .noDelay])
        let client = try await Connector(
            host: "127.0.0.1", port: Int(listener.localAddress.port), options: [.noInherit, .noDelay]
        ).connect()
        return (client, try await listener.accept(), listener)
    }

    @Test func lengthPrefixedAndDelimitedFramesWrittenAByteAtATime() async throws {
        let (client, server, listener) = try await Self.pair()
        let payload = (0..<300).map { UInt8($0 % 251) }
        let message = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8) + [0, 0, 1, 44] + payload + Array("tail\n".utf8)
        let writer = Task {
            for byte in message { try await server.write([byte]) }
        }
        var reader = client.bufferedReader()
        let head = try await reader.read(until: Array("\r\n\r\n".utf8))
        #expect(head == Array("GET / HTTP/1.1\r\nHost: x".utf8))
        let length = try await reader.read(exactly: 4).reduce(0) { $0 << 8 | Int($1) }
        #expect(length == 300)
        #expect(try await reader.read(exactly: length) == payload)
        #expect(try await reader.readLine() == "tail")
        try await writer.value
        try await server.close()
        #expect(try await reader.readLine() == nil)
        #expect(try await reader.read() == [])
        try await client.close()
        await listener.close()
    }

    @Test func whatWasReadPastAFrameIsKept() async throws {
        let (client, server, listener) = try await Self.pair()
        try await server.write("one\r\ntwo\nthree-without-end")
        try await server.close()
        var reader = client.bufferedReader()
        #expect(try await reader.readLine() == "one")
        #expect(reader.bufferedCount > 0)  // "two\n…" came with the first read
        #expect(try await reader.readLine() == "two")
        #expect(try await reader.readLine() == "three-without-end")
        #expect(try await reader.readLine() == nil)
        try await client.close()
        await listener.close()
    }

    @Test func theErrorsSayWhatWasMissing() async throws {
        let (client, server, listener) = try await Self.pair()
        try await server.write("abc")
        try await server.close()
        var reader = client.bufferedReader()
        await #expect { _ = try await reader.read(exactly: 10) } throws: { error in
            let error = error as? InetError
            return error?.code == .connectionClosed && error?.message.contains("after 3 of the 10 bytes") == true
        }
        #expect(reader.bufferedCount == 3)  // nothing lost: still readable
        await #expect { _ = try await reader.read(until: [0x0A]) } throws: { error in
            (error as? InetError)?.code == .connectionClosed
                && (error as? InetError)?.message.contains("inside a frame") == true
        }
        #expect(try await reader.read(exactly: 3) == Array("abc".utf8))
        await #expect { _ = try await reader.read(exactly: -1) } throws: {
            ($0 as? InetError)?.code == .invalidParameter
        }
        await #expect { _ = try await reader.read(until: []) } throws: { ($0 as? InetError)?.code == .invalidParameter }
        try await client.close()
        await listener.close()
    }

    @Test func aFrameOverTheLimitIsRefusedAndKept() async throws {
        let (client, server, listener) = try await Self.pair()
        try await server.write([UInt8](repeating: 0x41, count: 100) + [0x0A])
        var reader = client.bufferedReader()
        await #expect { _ = try await reader.read(until: [0x0A], maxBytes: 50, timeout: .seconds(5)) } throws: {
            ($0 as? InetError)?.code == .messageTooLong && ($0 as? InetError)?.message.contains("allows 50") == true
        }
        #expect(reader.bufferedCount == 101)  // refused, not consumed
        let line = try await reader.read(until: [0x0A], maxBytes: 1000, timeout: .seconds(5))
        #expect(line?.count == 100)
        await #expect { _ = try await reader.read(exactly: 1, timeout: .milliseconds(50)) } throws: {
            ($0 as? InetError)?.code == .timedOut
        }
        // No delimiter at all: refused once more than the limit is buffered, not after waiting.
        try await server.write([UInt8](repeating: 0x42, count: 80))
        await #expect { _ = try await reader.read(until: [0x0D, 0x0A], maxBytes: 64, timeout: .seconds(5)) } throws: {
            ($0 as? InetError)?.code == .messageTooLong
                && ($0 as? InetError)?.message.contains("no delimiter within 64") == true
        }
        #expect(reader.bufferedCount == 80)
        try await server.close()
        try await client.close()
        await listener.close()
    }

    @Test func linesFromSocat() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let peer = try Peer(["socat", "-t", "0.2", "-", "TCP:127.0.0.1:\(listener.localAddress.port)"], stdin: true)
        let connection = try await listener.accept()
        peer.send(Array("alpha\r\nbeta\ngamma\r\n".utf8))
        peer.closeInput()
        var got: [String] = []
        for try await line in connection.lines { got.append(line) }
        #expect(got == ["alpha", "beta", "gamma"])
        #expect(try peer.finish() == 0)
        try await connection.close()
        await listener.close()
    }
}
