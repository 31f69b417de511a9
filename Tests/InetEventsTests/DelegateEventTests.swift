import InetTestSupport
import Testing
@testable import InetCore
import InetEvents

/// The original API's event rules, on real loopback sockets.
@Suite struct DelegateEventTests {
    static func count(_ entries: [EventLog.Entry], _ entry: EventLog.Entry) -> Int {
        entries.filter { $0 == entry }.count
    }

    /// Connects once more and waits for that connection's read event: by then, data sent earlier
    /// on another connection has had every chance to raise its own event.
    static func barrier(_ listener: Listener) async throws -> EventConnection {
        let log = EventLog()
        let connection = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(delegate: log)
        let server = try await listener.accept()
        try await server.write("x")
        log.wait { $0.contains(.read) }
        return connection
    }

    @Test func connectThenOneWriteEvent() throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let log = EventLog()
        let connection = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(delegate: log)
        let entries = log.wait { $0.contains(.write) }
        #expect(Array(entries.prefix(2)) == [.connect(nil), .write])
        #expect(Self.count(entries, .write) == 1)
        try connection.close()
    }

    @Test func refusedConnectIsTheOnlyEvent() throws {
        let closed = try ClosedPort()
        let log = EventLog()
        _ = try Connector(host: "127.0.0.1", port: closed.port).connect(delegate: log)
        let entries = log.wait { !$0.isEmpty }
        #expect(entries == [.connect(.connectionRefused)])
        #expect(InetErrorCode.connectionRefused.legacyCode & 0xFFFF == 0x274D)
    }

    @Test func badInputThrowsBeforeAnyEvent() {
        let log = EventLog()
        #expect { _ = try Connector(host: "", port: 80).connect(delegate: log) } throws: {
            ($0 as? InetError)?.code == .invalidHostName
        }
        #expect(log.all.isEmpty)
    }

    @Test func readFiresAgainOnlyAfterTheAppReads() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let log = EventLog()
        // The delegate reads one byte per read event; five bytes arrive: five read events.
        log.onRead = { [unowned log] connection in _ = log.read(connection, count: 1) }
        let client = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(delegate: log)
        let server = try await listener.accept()
        try await server.write("abcde")
        let notes: ([EventLog.Entry]) -> Int = { $0.filter { if case .note = $0 { true } else { false } }.count }
        let entries = log.wait { notes($0) >= 5 }  // each read event is logged before its callback's read
        #expect(Self.count(entries, .read) == 5)
        #expect(notes(entries) == 5)
        try client.close()
    }

    @Test func noSecondReadEventWithoutARead() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let log = EventLog()  // never reads
        let client = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(delegate: log)
        let server = try await listener.accept()
        try await server.write("first")
        log.wait { $0.contains(.read) }
        try await server.write("second")
        // A barrier: another connection's read event, after this data had every chance to raise one.
        let barrier = try await Self.barrier(listener)
        #expect(Self.count(log.all, .read) == 1)
        // Reading re-arms, and data remains: the event fires again.
        log.onRead = { [unowned log] connection in _ = log.read(connection, count: 100) }
        try client.disableEvents()
        try client.enableEvents()  // re-fires read when data is waiting
        let entries = log.wait { Self.count($0, .read) >= 2 }
        #expect(Self.count(entries, .read) == 2)
        try client.close()
        try barrier.close()
    }

    @Test func noEventsWhileDisabledAndEnableRefiresRead() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let log = EventLog()
        let client = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(delegate: log)
        log.wait { $0.contains(.write) }
        let server = try await listener.accept()
        try client.disableEvents()
        try await server.write("while disabled")
        try await server.close()  // a disconnect too: neither may be delivered while disabled
        // A barrier: another connection's read event, after this data had every chance to raise one.
        let barrier = try await Self.barrier(listener)
        #expect(!log.all.contains(.read))
        #expect(!log.all.contains(.disconnect(nil)))
        try client.enableEvents()
        #expect(log.wait { $0.contains(.read) }.contains(.read))
        try client.close()
        try barrier.close()
    }

    @Test func disconnectAfterBufferedDataWhichStaysReadable() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let log = EventLog()
        let received = Locked<[UInt8]>([])
        log.onDisconnect = { [unowned log] connection in
            var buffer = [UInt8](repeating: 0, count: 7)
            while true {
                guard let result = try? buffer.withUnsafeMutableBytes({ try connection.read(into: $0) }) else { return }
                guard case .bytes(let n) = result else {
                    log.record(.note("end \(result)"))
                    return
                }
                received.withLock { $0 += buffer[0..<n] }
            }
        }
        let client = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(delegate: log)
        let server = try await listener.accept()
        try await server.write("data before the close")
        try await server.close()
        let entries = log.wait { $0.contains(.note("end endOfStream")) }
        #expect(entries.contains(.disconnect(nil)))
        #expect(String(decoding: received.withLock { $0 }, as: UTF8.self) == "data before the close")
        try client.close()
    }

    @Test func localCloseRaisesNoDisconnect() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let log = EventLog()
        let client = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(delegate: log)
        log.wait { $0.contains(.write) }
        let server = try await listener.accept()
        try client.close()
        #expect(try await server.read().isEmpty)  // the peer saw our FIN
        #expect(!log.all.contains { if case .disconnect = $0 { true } else { false } })
    }

    @Test func writeEventAfterWouldBlockOnlyWhenThePeerReads() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let log = EventLog()
        let chunk = [UInt8](repeating: 7, count: 65536)
        let written = Locked(0)
        // On every write event: write until the socket refuses.
        log.onWrite = { [unowned log] connection in
            while let result = try? connection.write(chunk) {
                guard case .wrote(let n) = result else {
                    log.record(.note("would block"))
                    return
                }
                written.withLock { $0 += n }
                if n < chunk.count {
                    log.record(.note("partial"))
                    return
                }
            }
        }
        let client = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(delegate: log)
        let server = try await listener.accept()
        log.wait { $0.contains(.note("would block")) || $0.contains(.note("partial")) }
        #expect(Self.count(log.all, .write) == 1)  // the peer has not read: no second write event
        // The peer reads: room again, a second write event.
        var drained = 0
        while Self.count(log.all, .write) < 2 && drained < 64 << 20 {
            drained += try await server.read(timeout: .seconds(5)).count
        }
        #expect(Self.count(log.all, .write) >= 2)
        try client.close()
    }
}
