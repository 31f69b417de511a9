import InetTLS
import InetTestSupport
import Testing
@testable import InetCore

/// No descriptor outlives its connection: every descriptor open after the test was open before it.
/// Reads /proc/self/fd, so scripts/test runs without parallelism (other tests' new sockets would
/// show up as new here).
@Suite(.serialized) struct DescriptorLeakTests {
    @Test func thousandFailedAndThousandSuccessfulConnectsLeaveNoDescriptor() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let closed = try ClosedPort()
        // Warm up: the shared group's loops and the resolver threads exist before counting.
        let warm = try await Connector(host: "localhost", port: Int(listener.localAddress.port)).connect()
        try await (try await listener.accept()).close()
        try await warm.close()

        let before = TestSupport.openDescriptors()
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
        let leaked = TestSupport.openDescriptors().subtracting(before)
        #expect(leaked.isEmpty, "descriptors opened during the test and still open: \(leaked.sorted())")
    }
}

extension DescriptorLeakTests {
    @Test func thousandTLSHandshakesLeaveNoDescriptor() async throws {
        let tls = TLSConfiguration(
            role: .server,
            credentials: SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem")))
        let listener = try Listener(address: "127.0.0.1", port: 0, tls: tls)
        let port = Int(listener.localAddress.port)
        // Warm up: contexts cached, loops and resolver threads started. Closed explicitly: a
        // dropped connection closes asynchronously and could be counted in `before`.
        let warm = try await SecureConnectTests.connector(port).connect()
        try await (try await listener.accept()).close()
        try await warm.close()

        let before = TestSupport.openDescriptors()
        for i in 0..<1000 {
            let client = try await SecureConnectTests.connector(port).connect()
            let server = try await listener.accept()
            try await client.write([UInt8(truncatingIfNeeded: i)])
            #expect(try await server.read() == [UInt8(truncatingIfNeeded: i)])
            try await client.close()  // close_notify, then close
            #expect(try await server.read().isEmpty)
            try await server.close()
        }
        let leaked = TestSupport.openDescriptors().subtracting(before)
        #expect(leaked.isEmpty, "descriptors opened during the test and still open: \(leaked.sorted())")
    }
}
