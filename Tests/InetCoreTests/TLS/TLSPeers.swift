import Foundation
import InetTLS
import InetTestSupport
@testable import InetCore

/// Shared peers of the TLS feature tests: an Inet TLS echo listener and `openssl s_client`.
enum TLSPeers {
    static var serverIdentity: SecurityCredentials {
        SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem"))
    }

    /// A client trusting the test CA.
    static var clientCredentials: SecurityCredentials { SecureConnectTests.trustCA }

    /// An Inet TLS listener echoing every connection until the peer ends; stop with `cancel()`.
    final class EchoServer: Sendable {
        let listener: Listener
        let task: Task<Void, Never>
        var port: Int { Int(listener.localAddress.port) }

        init(_ tls: TLSConfiguration? = nil, context: TLSContext? = nil) throws {
            let listener = try Listener(address: "127.0.0.1", port: 0, tls: tls, tlsContext: context)
            self.listener = listener
            task = Task {
                await withTaskGroup(of: Void.self) { group in
                    while let connection = try? await listener.accept() {
                        group.addTask {
                            do {
                                for try await chunk in connection.inbound { try await connection.write(chunk) }
                                try await connection.close()
                            } catch {}
                        }
                    }
                    group.cancelAll()
                }
            }
        }

        func stop() async {
            await listener.close()
            task.cancel()
        }
    }

    /// Runs `openssl s_client` to completion with `arguments`, sending `line` and then ending
    /// its input (it stays for the reply with `-no_ign_eof`... unless the handshake fails).
    /// Off the cooperative pool, where the Inet server under test runs.
    static func sClient(
        _ port: Int, _ arguments: [String], line: String = "hello\n", environment: String = ""
    ) async throws -> Peer {
        try await offPool { try sClientBlocking(port, arguments, line: line, environment: environment) }
    }

    static func sClientBlocking(_ port: Int, _ arguments: [String], line: String, environment: String) throws -> Peer {
        let command =
            [
                "openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", SecureConnectTests.ca,
                "-verify_return_error",
            ] + arguments
        let client = try Peer(environment.isEmpty ? command : ["env", environment] + command, stdin: true)
        client.send(Array(line.utf8))
        if !line.isEmpty {
            _ = try? client.waitForStdout(containing: line.trimmingCharacters(in: .newlines), timeout: .seconds(5))
        }
        client.closeInput()
        _ = try client.finish(timeout: .seconds(15))
        return client
    }
}
