import Glibc
import InetTLS
import InetTestSupport
import Logging
import Testing
@testable import InetCore

/// swift-log (issue 14): what a connector, a connection, a listener and a group log, at which
/// level — captured by a test handler — and that nothing is logged (or kept) by default.
@Suite(.serialized, .timeLimit(.minutes(2))) struct LoggingTests {
    /// Keeps every record it is given.
    struct Capture: LogHandler {
        final class Store: @unchecked Sendable {  // safe: `records` only behind `lock`
            private let lock = Locked<[(Logger.Level, String, Logger.Metadata)]>([])
            func add(_ record: (Logger.Level, String, Logger.Metadata)) { lock.withLock { $0.append(record) } }
            var records: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] {
                lock.withLock { $0.map { (level: $0.0, message: $0.1, metadata: $0.2) } }
            }
            func messages(_ level: Logger.Level? = nil) -> [String] {
                records.filter { level == nil || $0.level == level }.map(\.message)
            }
            /// Every record as one text (to look for what must never be there).
            var text: String { records.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n") }
        }
        let store: Store
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            store.add((event.level, event.message.description, metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }

    static func logger(_ level: Logger.Level) -> (Logger, Capture.Store) {
        let store = Capture.Store()
        return (Logger(label: "test", factory: { _ in Capture(store: store, logLevel: level) }), store)
    }

    @Test func aConnectLogsResolutionEachAttemptAndWhyItClosed() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let port = Int(listener.localAddress.port)
        let (logger, store) = Self.logger(.debug)
        // 127.0.0.2 has no listener (refused), 127.0.0.1 has.
        var connector = Connector(host: "db.test", port: port, timeout: .seconds(5))
        connector.resolver = FixedResolver(addresses: ["127.0.0.2", "127.0.0.1"])
        connector.logger = logger
        let connection = try await connector.connect()
        let accepted = try await listener.accept()
        try await connection.close()
        #expect(
            store.messages() == [
                "resolved", "attempt started", "attempt failed", "attempt started", "attempt connected", "connected",
                "connection closed",
            ])
        let records = store.records
        #expect(records.allSatisfy { $0.level == .debug && $0.metadata["inet.host"] == "db.test" })
        #expect(records[0].metadata["inet.addresses"] == .array(["127.0.0.2", "127.0.0.1"]))
        #expect(
            records[1].metadata["inet.address"] == "127.0.0.2"
                && records[1].metadata["inet.attempt"]?.description == "1")
        #expect(records[2].metadata["inet.error"]?.description.contains("refused") == true)
        #expect(records[4].metadata["inet.address"] == "127.0.0.1")
        #expect(records[6].metadata["inet.reason"] == "closed locally")
        try await accepted.close()
        await listener.close()
    }

    @Test func aFailedConnectLogsTheErrorItThrows() async throws {
        let closed = try ClosedPort()
        let (logger, store) = Self.logger(.debug)
        var connector = Connector(host: "127.0.0.1", port: closed.port, timeout: .seconds(5))
        connector.logger = logger
        var thrown: InetError?
        do { _ = try await connector.connect() } catch { thrown = error }
        #expect(
            store.messages() == ["connecting to an IP literal", "attempt started", "attempt failed", "connect failed"])
        #expect(store.records.last?.metadata["inet.error"]?.description == thrown?.description)
    }

    @Test func nothingIsLoggedOrKeptByDefaultOrAboveDebug() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let (infoLogger, store) = Self.logger(.info)
        var connector = Connector(host: "127.0.0.1", port: Int(listener.localAddress.port))
        #expect(connector.logger == nil)
        #expect(try ConnectPlan(connector).logger == nil)
        connector.logger = infoLogger
        #expect(try ConnectPlan(connector).logger == nil)  // info: the connect path does nothing
        let connection = try await connector.connect()
        try await connection.close()
        #expect(store.records.isEmpty)
        await listener.close()
    }

    @Test func tlsResultIsLoggedAndNoSecretEver() async throws {
        let (serverLogger, serverStore) = Self.logger(.debug)
        let serverCredentials = SecurityCredentials(
            certificateStore: TestCertificates.path("server-bundle.pem"),
            trustRootsFile: TestCertificates.path("ca.pem"))
        let listener = try Listener(
            address: "127.0.0.1", port: 0,
            tls: TLSConfiguration(role: .server, credentials: serverCredentials), logger: serverLogger)
        let port = Int(listener.localAddress.port)
        let (logger, store) = Self.logger(.trace)
        var connector = Connector(host: "localhost", port: port, timeout: .seconds(10), options: [.noInherit, .secure])
        connector.credentials = SecurityCredentials(
            certificateStore: TestCertificates.path("client.p12"), password: TestCertificates.password,
            trustRootsFile: TestCertificates.path("ca.pem"))
        connector.logger = logger
        let accepting = Task { try await listener.accept() }
        let connection = try await connector.connect()
        let accepted = try await accepting.value
        let tls = try #require(store.records.first { $0.message == "TLS established" })
        #expect(tls.metadata["inet.tls.version"] == "TLSv1.3")
        #expect(tls.metadata["inet.tls.verified"]?.description == "true")
        #expect(tls.metadata["inet.tls.cipher"]?.description.isEmpty == false)
        try await connection.close()
        try await accepted.close()
        await listener.close()
        #expect(serverStore.messages(.debug).contains("accepted"))
        for text in [store.text, serverStore.text] {
            #expect(!text.contains(TestCertificates.password))
            #expect(!text.contains("PRIVATE KEY"))
        }
    }

    @Test func aListenerWarnsOfARefusedHandshakeAndOfAcceptErrors() async throws {
        let (logger, store) = Self.logger(.warning)
        let credentials = SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem"))
        let tlsListener = try Listener(
            address: "127.0.0.1", port: 0,
            tls: TLSConfiguration(role: .server, credentials: credentials), logger: logger)
        // A plaintext client: the server's handshake fails.
        let plain = try await Connector(host: "127.0.0.1", port: Int(tlsListener.localAddress.port)).connect()
        try await plain.write("GET / HTTP/1.0\r\n\r\n")
        _ = try? await plain.read(timeout: .seconds(5))  // the server's alert, then its close
        let deadline = Deadline.after(.seconds(10))
        while !store.messages(.warning).contains("refused a client's TLS handshake"), deadline.remaining > .zero {
            sched_yield()
        }
        #expect(store.messages(.warning).contains("refused a client's TLS handshake"))
        try await plain.close()
        await tlsListener.close()

        let (emfileLogger, emfileStore) = Self.logger(.warning)
        let listener = try Listener(address: "127.0.0.1", port: 0, logger: emfileLogger)
        let connector = Connector(host: "127.0.0.1", port: Int(listener.localAddress.port), timeout: .seconds(10))
        try await SyscallScript.with([SyscallRule(.accept, .fail(EMFILE))]) {
            let waiting = try await connector.connect()
            await #expect { try await listener.accept(timeout: .seconds(5)) } throws: {
                ($0 as? InetError)?.code == .tooManyOpenFiles
            }
            try await waiting.close()
        }
        let warning = try #require(emfileStore.records.first { $0.message == "accept failed" })
        #expect(warning.level == .warning)
        #expect(warning.metadata["inet.error"]?.description.contains("waiting client(s) closed at once") == true)
        await listener.close()
    }

    @Test func aGroupLogsItsStartAndShutdown() async throws {
        let (logger, store) = Self.logger(.debug)
        let group = try EventLoopGroup(loopCount: 2, logger: logger)
        try await group.shutdown()
        #expect(store.messages() == ["event loop group started", "event loop group shut down"])
        #expect(store.records.first?.metadata["inet.loops"]?.description == "2")
    }
}
