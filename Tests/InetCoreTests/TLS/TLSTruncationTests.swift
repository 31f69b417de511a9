import InetTLS
import InetTestSupport
import Testing
@testable import InetCore

/// Issue 11, defect 2: a TLS read that ends without `close_notify` is not a clean end of stream.
/// The peer is Python's `ssl` server, which decides exactly which ciphertext reaches the socket.
@Suite struct TLSTruncationTests {
    static let total = 80_800

    /// Reads until end of stream or an error; the bytes and the error.
    static func drain(_ connection: Connection) async -> ([UInt8], InetError?) {
        var received: [UInt8] = []
        do {
            while true {
                let chunk = try await connection.read()
                if chunk.isEmpty { return (received, nil) }
                received += chunk
            }
        } catch {
            return (received, error)
        }
    }

    static func connect(_ port: Int) async throws -> Connection {
        try await SecureConnectTests.connector(port).connect()
    }

    @Test func closeNotifyIsACleanEnd() async throws {
        let (server, port) = try PythonTLSServer.start(sending: Self.total, ending: .closeNotify)
        defer { server.stop() }
        let connection = try await Self.connect(port)
        let (received, error) = await Self.drain(connection)
        #expect(error == nil)
        #expect(received == PythonTLSServer.payload(Self.total))
        #expect(connection.peerEnd == .closeNotify)
        #expect(connection.peerEnd?.isClean == true)
    }

    @Test func aBareTCPCloseAfterWholeRecordsIsTruncation() async throws {
        let (server, port) = try PythonTLSServer.start(sending: Self.total, ending: .bareClose)
        defer { server.stop() }
        let connection = try await Self.connect(port)
        let (received, error) = await Self.drain(connection)
        // Every byte that was sent arrived, but nothing proves it was all the peer meant to send.
        #expect(received == PythonTLSServer.payload(Self.total))
        let failure = try #require(error)
        #expect(failure.code == .tlsTruncated)
        #expect(failure.message.contains("without TLS close_notify after 80800 bytes"), "\(failure.message)")
        #expect(!failure.message.contains("middle"), "\(failure.message)")
        #expect(connection.peerEnd == .truncated)
        // The connection is over: a later read fails with the same error, never end of stream.
        await #expect { _ = try await connection.read() } throws: { ($0 as? InetError)?.code == .tlsTruncated }
    }

    @Test func aCutInTheMiddleOfARecordIsTruncationAndSaysSo() async throws {
        // The first record (16,384 bytes of plaintext, 16,406 of ciphertext) whole, then part of the second.
        let (server, port) = try PythonTLSServer.start(sending: Self.total, ending: .cutAfter(ciphertextBytes: 20_000))
        defer { server.stop() }
        let connection = try await Self.connect(port)
        let (received, error) = await Self.drain(connection)
        #expect(received == Array(PythonTLSServer.payload(Self.total).prefix(16_384)))
        let failure = try #require(error)
        #expect(failure.code == .tlsTruncated)
        #expect(failure.message.contains("in the middle of a TLS record"), "\(failure.message)")
        #expect(failure.message.contains("after 16384 bytes"), "\(failure.message)")
        #expect(connection.peerEnd == .truncated)
    }

    /// `openssl s_client` and `inetcat` judge the same cut alike: s_client says "unexpected eof
    /// while reading"; inetcat prints the truncation error and exits 1 (0 for a clean end).
    @Test func inetcatExitsOneOnTruncationLikeSClientComplains() throws {
        for (ending, status) in [
            (PythonTLSServer.Ending.cutAfter(ciphertextBytes: 20_000), Int32(1)), (.closeNotify, 0),
        ] {
            let (server, port) = try PythonTLSServer.start(sending: Self.total, ending: ending)
            defer { server.stop() }
            let client = try Peer(
                [TestSupport.inetcatPath, "--secure", "--ca-file", SecureConnectTests.ca, "localhost", String(port)],
                stdin: true)
            client.closeInput()
            #expect(try client.finish() == status, "\(client.stderrText)")
            if status == 1 {
                #expect(client.stdoutData.count == 16_384)
                #expect(client.stderrText.contains("without TLS close_notify"), "\(client.stderrText)")
            } else {
                #expect(client.stdoutData == PythonTLSServer.payload(Self.total))
            }
        }
        let (server, port) = try PythonTLSServer.start(sending: Self.total, ending: .cutAfter(ciphertextBytes: 20_000))
        defer { server.stop() }
        let sClient = try Peer(
            [
                "openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", SecureConnectTests.ca,
                "-servername", "localhost", "-quiet", "-ign_eof",
            ], stdin: true)
        _ = try sClient.finish()
        #expect(sClient.stderrText.contains("unexpected eof while reading"), "\(sClient.stderrText)")
    }
}
