import InetTLS
import InetTestSupport

/// A client and a server engine wired together in memory.
struct EnginePair {
    let client: TLSEngine
    let server: TLSEngine

    init(
        client clientConfiguration: TLSConfiguration, server serverConfiguration: TLSConfiguration,
        serverName: String? = "localhost"
    ) throws(TLSError) {
        client = try TLSEngine(context: try TLSContext(clientConfiguration), serverName: serverName)
        server = try TLSEngine(context: try TLSContext(serverConfiguration))
    }

    /// Moves ciphertext both ways until both handshakes finish; the first error wins. Returns the
    /// error of each side (nil: that side completed).
    @discardableResult
    func handshake() -> (client: TLSError?, server: TLSError?) {
        var clientError: TLSError?
        var serverError: TLSError?
        var clientDone = false
        var serverDone = false
        for _ in 0..<20 {
            if clientError == nil && !clientDone {
                do throws(TLSError) { clientDone = try client.handshake() } catch { clientError = error }
            }
            server.feed(client.takeOutput())
            if serverError == nil && !serverDone {
                do throws(TLSError) { serverDone = try server.handshake() } catch { serverError = error }
            }
            client.feed(server.takeOutput())
            if (clientDone || clientError != nil) && (serverDone || serverError != nil) { break }
            // A side that failed stops; the other learns from the alert it got on the next round.
            if clientError != nil && serverError != nil { break }
        }
        // Let a side that is still waiting read the final alert.
        if clientError == nil && !clientDone {
            do throws(TLSError) { clientDone = try client.handshake() } catch { clientError = error }
        }
        if serverError == nil && !serverDone {
            do throws(TLSError) { serverDone = try server.handshake() } catch { serverError = error }
        }
        return (clientError, serverError)
    }

    /// Sends plaintext from one engine to the other and reads it there.
    static func transfer(_ bytes: [UInt8], from sender: TLSEngine, to receiver: TLSEngine) throws -> [UInt8] {
        try sender.write(bytes)
        receiver.feed(sender.takeOutput())
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let result: TLSEngine.ReadResult = try buffer.withUnsafeMutableBytes { raw throws(TLSError) in
                try receiver.read(into: raw)
            }
            guard case .bytes(let n) = result else { break }
            received += buffer[0..<n]
        }
        return received
    }
}

extension TLSConfiguration {
    static func testServer(
        _ store: String = "server-bundle.pem", key: String? = nil, requireClientCertificate: Bool = false,
        min: TLSVersion? = nil, max: TLSVersion? = nil, fallback: Bool = false
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .server, legacyFallback: fallback,
            credentials: SecurityCredentials(
                certificateStore: TestCertificates.path(store), privateKeyFile: key.map(TestCertificates.path),
                minimumVersion: min, maximumVersion: max,
                trustRootsFile: TestCertificates.path("ca.pem")),
            requireClientCertificate: requireClientCertificate)
    }

    static func testClient(
        trustCA: Bool = true, verify: Bool = true, credentials: SecurityCredentials = SecurityCredentials()
    ) -> TLSConfiguration {
        var credentials = credentials
        if trustCA { credentials.trustRootsFile = TestCertificates.path("ca.pem") }
        return TLSConfiguration(role: .client, verifyPeer: verify, credentials: credentials)
    }
}
