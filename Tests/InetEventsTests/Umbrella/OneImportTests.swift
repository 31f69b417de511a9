import Inet
import InetTestSupport
import Testing

/// `import Inet` alone (no other Inet module imported in this file) gives the three modules'
/// API: a connector with TLS credentials, a listener, and the `Inet.*` functions.
@Suite struct OneImportTests {
    @Test func oneImportGivesConnectorCredentialsDelegatesAndTheFunctions() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let port = Int(listener.localAddress.port)
        var connector = Connector(host: "127.0.0.1", port: port)
        connector.credentials = SecurityCredentials(trustRootsFile: "/nonexistent")  // InetTLS's type
        #expect(connector.options == .default)
        connector.credentials = nil
        let connection = try await connector.connect()
        let accepted = try await listener.accept()
        #expect(connection.remoteAddress.port == UInt16(port))
        try await connection.close()
        try await accepted.close()
        await listener.close()
        let handle = Inet.connect("127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 1, INET_OPTION_NONE, nil)
        #expect(handle == INVALID_SOCKET)  // the listener is closed: refused, as the C API reports it
        #expect(Inet.getLastError() == 10061)
    }
}
