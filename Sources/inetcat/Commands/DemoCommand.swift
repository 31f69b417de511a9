import ArgumentParser
import Glibc
import InetCore
import InetEvents
import InetTLS

/// `inetcat demo`: a self-contained tour on loopback — a listener, the async API, the blocking
/// API on a worker thread, UDP, and what a failure looks like.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run a self-contained loopback demo of Inet and exit.")

    func run() async throws {
        do throws(InetError) {
            try await tour()
        } catch {
            Output.error(error)
            throw ExitCode(1)
        }
    }

    private func step(_ text: String) { print("[demo] \(text)") }

    private func tour() async throws(InetError) {
        // 1. A TCP echo server on an ephemeral loopback port.
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let port = Int(listener.localAddress.port)
        step("listening on \(listener.localAddress) (TCP echo server)")
        let server = Task {
            for try await connection in listener.connections {
                Task {
                    for try await chunk in connection.inbound { try await connection.write(chunk) }
                    try await connection.close()
                }
            }
        }

        // 2. The async/await API.
        let connection = try await Connector(host: "127.0.0.1", port: port, options: [.noInherit, .noDelay]).connect()
        step("async: connected local=\(connection.localAddress) remote=\(connection.remoteAddress)")
        try await connection.write("hello from async/await")
        let reply = try await readExactly(connection, count: 22)
        step("async: sent 22 bytes, echoed back: \"\(String(decoding: reply, as: UTF8.self))\"")
        try await connection.shutdown(.output)
        let end = try await connection.read()
        step("async: half-closed; peer closed too (read returned \(end.count) bytes)")
        try await connection.close()

        // 3. The blocking API, on a worker thread of its own.
        let blocking = await WorkerThread.run { () -> Result<String, InetError> in
            do throws(InetError) {
                let connection = try Connector(host: "localhost", port: port, timeout: .seconds(5)).blocking.connect()
                try connection.blocking.write("hello from a worker thread")
                var received: [UInt8] = []
                while received.count < 26 { received += try connection.blocking.read() }
                try connection.blocking.close()
                return .success(
                    "blocking: connected to localhost (\(connection.remoteAddress)), echoed back: \"\(String(decoding: received, as: UTF8.self))\""
                )
            } catch {
                return .failure(error)
            }
        }
        step(try blocking.get())

        // 4. UDP: a datagram each way.
        let udpServer = try Listener(address: "127.0.0.1", port: 0, protocol: .udp)
        let udp = try await Connector(host: "127.0.0.1", port: Int(udpServer.localAddress.port), protocol: .udp)
            .connect()
        try await udp.write("ping")
        let datagram = try await udpServer.receive(timeout: .seconds(5))
        try await udpServer.send(Array("pong".utf8), to: datagram.peer)
        let pong = try await udp.read(timeout: .seconds(5))
        step(
            "udp: sent \"ping\" from \(udp.localAddress), server answered \"\(String(decoding: pong, as: UTF8.self))\"")
        try await udp.close()
        await udpServer.close()

        // 5. Events: a delegate, then the legacy (handle, eventMsg, lParam) messages.
        try eventsLegs(port: port)

        // 6. TLS: a certificate made now, a TLS listener, a verified client.
        try await tlsLeg()

        // 7. A failure: nothing listens on the port we just freed.
        await listener.close()
        server.cancel()
        do {
            _ = try await Connector(host: "127.0.0.1", port: port, timeout: .seconds(2)).connect()
            step("unexpected: a connect to a closed port succeeded")
        } catch {
            step("failure: \(error.code.summary), code \(error.legacyCode) (\(error.message))")
        }
        step("done")
    }

    private func eventsLegs(port: Int) throws(InetError) {
        // A delegate: events arrive on the connection's loop thread, in order, one at a time.
        let delegate = DemoDelegate(message: "hello from a delegate")
        let connection = try Connector(host: "127.0.0.1", port: port).connect(delegate: delegate)
        for line in delegate.waitForEcho() { step(line) }
        try connection.close()

        // The legacy API, with messages pumped from a queue like a window message loop.
        let queue = MessageQueue()
        let adapter = LegacyEventAdapter(eventMessage: 0x0401, sink: .queue(queue))
        let handle = Inet.asyncConnect("127.0.0.1", UInt32(port), .tcp, 5, 0, nil, adapter)
        guard handle != .invalid else { throw InetError(.systemError, Inet.errorDescription(Inet.getLastError())) }
        var buffer = [UInt8](repeating: 0, count: 64)
        var echoed = ""
        while echoed.count < 17, let message = queue.next(timeout: .seconds(5)) {
            step("legacy: \(message)")
            if message.event == .write, echoed.isEmpty {
                _ = Array("hello from legacy".utf8).withUnsafeBytes { Inet.write(handle, $0) }
            }
            if message.event == .read {
                let n = buffer.withUnsafeMutableBytes { Inet.read(handle, $0) }
                if n > 0 { echoed += String(decoding: buffer[0..<Int(n)], as: UTF8.self) }
            }
        }
        step("legacy: echoed back: \"\(echoed)\"")
        _ = Inet.disconnect(handle)
    }

    private func tlsLeg() async throws(InetError) {
        var template = Array("/tmp/inetcat-demo-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw InetError(.systemError, "cannot make a temporary directory") }
        let directory = String(cString: made)
        defer {
            for file in ["store.pem", "cert.pem"] { unlink(directory + "/" + file) }
            rmdir(directory)
        }
        let files: SelfSignedCertificate.Files
        do throws(TLSError) {
            files = try SelfSignedCertificate.make(
                commonName: "localhost", subjectAltNames: ["DNS:localhost", "IP:127.0.0.1"],
                directory: directory)
        } catch {
            throw InetError(error)
        }
        step("tls: made a self-signed P-256 certificate for localhost/127.0.0.1 (valid 1 day)")
        let server = try Listener(
            address: "127.0.0.1", port: 0,
            tls: TLSConfiguration(role: .server, credentials: SecurityCredentials(certificateStore: files.store)))
        let echo = Task {
            let connection = try await server.accept()
            for try await chunk in connection.inbound { try await connection.write(chunk) }
            try await connection.close()
        }
        var connector = Connector(
            host: "localhost", port: Int(server.localAddress.port), options: [.noInherit, .secure])
        connector.credentials = SecurityCredentials(trustRootsFile: files.certificate)
        let connection = try await connector.connect()
        if let info = connection.tls {
            step(
                "tls: connected, \(info.version) \(info.cipher), peer \(info.peerCommonName ?? "-"), verified=\(info.peerVerified ? "yes" : "no")"
            )
        }
        try await connection.write("hello over TLS")
        let reply = try await readExactly(connection, count: 14)
        step("tls: echoed back: \"\(String(decoding: reply, as: UTF8.self))\"")
        try await connection.shutdown(.output)  // close_notify, then FIN
        _ = try await connection.read()
        try await connection.close()
        _ = await echo.result
        await server.close()
    }

    private func readExactly(_ connection: Connection, count: Int) async throws(InetError) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            let chunk = try await connection.read()
            if chunk.isEmpty { break }
            bytes += chunk
        }
        return bytes
    }
}
