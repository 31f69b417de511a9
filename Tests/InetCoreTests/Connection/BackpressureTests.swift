import InetTestSupport
import Testing
@testable import InetCore

/// A peer that stops reading pushes back on the writer; nothing accepted is lost.
@Suite struct BackpressureTests {
    @Test func writerWaitsWhilePeerDoesNotReadThenEverythingArrives() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        var connector = Connector(host: "127.0.0.1", port: Int(listener.localAddress.port))
        connector.writeBufferLimit = 64 << 10
        let client = try await connector.connect()
        let server = try await listener.accept()

        // Fill kernel buffers and the queue until a write has to wait and times out.
        var accepted = TestSupport.Checksum()
        var timedOut = false
        for i in 0..<4096 {
            let bytes = TestSupport.pattern(64 << 10, seed: UInt64(i))
            do {
                try await client.write(bytes, timeout: .milliseconds(200))
                accepted.add(bytes)
            } catch {
                #expect(error.code == .timedOut)
                #expect(error.message.contains("none of this write was sent"))
                timedOut = true
                break
            }
        }
        #expect(timedOut, "the writer never saw backpressure")
        #expect(accepted.count < 4096 * (64 << 10))

        // Now the peer reads everything: exactly the accepted bytes arrive. (shutdown(.output)
        // returns once the queue has drained into the kernel, so the reader runs meanwhile.)
        async let received: TestSupport.Checksum = {
            var sum = TestSupport.Checksum()
            for try await chunk in server.inbound { sum.add(chunk) }
            return sum
        }()
        try await client.shutdown(.output)
        #expect(try await received == accepted)
    }

    @Test func writeAfterShutdownIsRefused() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let client = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect()
        try await client.shutdown(.output)
        await #expect { try await client.write("late") } throws: { ($0 as? InetError)?.code == .alreadyShutdown }
        try await client.close()
        await #expect { _ = try await client.read() } throws: { ($0 as? InetError)?.code == .connectionClosed }
    }

    @Test func readTimeoutAndCancellation() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let client = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect()
        let server = try await listener.accept()
        await #expect { _ = try await client.read(timeout: .milliseconds(50)) } throws: {
            ($0 as? InetError)?.code == .timedOut
        }
        let reader = Task { try await client.read(timeout: .seconds(30)) }
        reader.cancel()
        await #expect { _ = try await reader.value } throws: { ($0 as? InetError)?.code == .cancelled }
        // Nothing was lost to the cancelled read.
        try await server.write("after")
        #expect(try await client.read() == Array("after".utf8))
    }
    /// The Swift API's connections have no read/write timeout unless asked (as accepted ones):
    /// an idle read outlives the connect timeout and ends only by data, close or cancellation.
    /// The legacy initialiser keeps `nTimeout` for each operation.
    @Test func noIOTimeoutUnlessAsked() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let port = Int(listener.localAddress.port)
        let client = try await Connector(host: "127.0.0.1", port: port, timeout: .milliseconds(100)).connect()
        let server = try await listener.accept()
        #expect(client.ioTimeout == nil)
        #expect(server.ioTimeout == nil)
        let ended = Locked(false)
        let reader = Task {
            defer { ended.withLock { $0 = true } }
            return try await client.read()
        }
        // An observation window, not a synchronisation: three connect timeouts later the read
        // still waits (with `.sameAsConnect` it failed with timedOut 100 ms in).
        try await Task.sleep(for: .milliseconds(300))
        #expect(!ended.withLock { $0 })
        try await server.write("eventually")
        #expect(try await reader.value == Array("eventually".utf8))
        var connector = Connector(
            legacyHost: "127.0.0.1", port: UInt32(port), protocol: .tcp, timeoutSeconds: 7,
            options: 0, localAddress: nil, localPort: 0)
        #expect(connector.ioTimeout == .sameAsConnect)
        connector.ioTimeout = .after(.seconds(1))
        let timed = try await connector.connect()
        #expect(timed.ioTimeout == .seconds(1))
        try await timed.close()
        try await client.close()
        try await server.close()
        await listener.close()
    }
}
