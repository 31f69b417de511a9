import Testing
@testable import InetCore

/// No descriptor outlives its connection. Counts /proc/self/fd, so scripts/test runs the suite
/// without parallelism (other tests' sockets would blur the count).
@Suite struct DescriptorLeakTests {
    @Test func thousandFailedAndThousandSuccessfulConnectsLeaveNoDescriptor() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let closed = try ClosedPort()
        // Warm up: the shared group's loops and the resolver threads exist before counting.
        let warm = try await Connector(host: "localhost", port: Int(listener.localAddress.port)).connect()
        try await (try await listener.accept()).close()
        try await warm.close()

        let before = TestSupport.openDescriptorCount()
        for _ in 0..<1000 {
            await #expect { _ = try await Connector(host: "127.0.0.1", port: closed.port).connect() } throws: {
                ($0 as? InetError)?.code == .connectionRefused
            }
        }
        for _ in 0..<1000 {
            let client = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect()
            let server = try await listener.accept()
            try await client.write("x")
            #expect(try await server.read() == [UInt8(ascii: "x")])
            try await client.close()
            #expect(try await server.read().isEmpty)
            try await server.close()
        }
        #expect(TestSupport.openDescriptorCount() == before)
    }
}
