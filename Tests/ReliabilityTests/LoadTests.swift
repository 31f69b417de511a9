import Glibc
import InetTestSupport
import Testing
@testable import InetCore
import InetEvents

/// Load on one process and one group: 10,000 concurrent connections, a million checked
/// messages, memory per idle connection, memory and descriptors across rounds. The server is
/// another process — `inetcat --listen --echo --keep-open`, event-driven — because this
/// sandbox caps a process at 20,000 descriptors and cannot raise the cap.
@Suite(.serialized) struct LoadTests {
    /// An echo server in its own process; returns it and its port. Not verbose: a line per
    /// accepted client would fill the unread stderr pipe and stall the server. So the port is
    /// picked here (bound, read, released) and handed to inetcat, which binds it at once.
    static func echoServer() throws -> (Peer, Int) {
        let port = try FaultTests.RawPeer().port  // bound, read, released at once
        let server = try Peer([
            ProcessFacts.inetcatPath, "--listen", "--bind", "127.0.0.1", "--echo", "--keep-open", "\(port)",
        ])
        // Ready once a connect succeeds (an event, not a sleep): retry refused connects briefly.
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let probe = try? Connector(host: "127.0.0.1", port: port, timeout: .seconds(1)).blocking.connect() {
                try? probe.blocking.close()
                return (server, port)
            }
        }
        server.stop()
        throw PeerError("inetcat did not start listening on \(port)")
    }

    static let messageSize = 64

    /// Message `seq` of connection `id`: id, seq, then bytes derived from both (so a lost,
    /// duplicated, reordered or corrupted message never matches the expected one).
    static func message(_ id: UInt32, _ seq: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: messageSize)
        withUnsafeBytes(of: id.littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: seq.littleEndian) { bytes.replaceSubrange(4..<8, with: $0) }
        var x = id &* 2_654_435_761 ^ seq &* 40_503
        for i in 8..<messageSize {
            x = x &* 1_103_515_245 &+ 12_345
            bytes[i] = UInt8(truncatingIfNeeded: x >> 16)
        }
        return bytes
    }

    @Test func tenThousandConnectionsAMillionMessages() throws {
        let connections = 10_000
        let messagesEach = 100
        let limit = ProcessFacts.raiseDescriptorLimit(to: connections + 1_000)
        try #require(limit >= connections + 100, "descriptor limit \(limit) is too low for \(connections) connections")
        let (server, port) = try Self.echoServer()
        defer { server.stop() }
        let group = try EventLoopGroup(loopCount: 2)
        let descriptorsBefore = ProcessFacts.openDescriptorSet  // the group's epoll and eventfds included
        let residentBefore = ProcessFacts.residentBytes

        let run = LoadRun(connections: connections)
        var clients: [LoadClient] = []
        clients.reserveCapacity(connections)
        var connector = Connector(host: "127.0.0.1", port: port, timeout: .seconds(60))
        connector.group = group
        connector.ioTimeout = .none
        for id in 0..<connections {
            let client = LoadClient(id: UInt32(id), messages: messagesEach, run: run)
            client.handle = try connector.connect(delegate: client)
            clients.append(client)
        }
        try #require(
            run.waitConnected(seconds: 120),
            "connected: \(run.connectedCount) of \(connections); \(run.failures.prefix(3))")
        let residentIdle = ProcessFacts.residentBytes
        let perConnection = (residentIdle - residentBefore) / connections
        print("RELIABILITY idle memory: \(perConnection) bytes of RSS per idle client connection (\(connections) open)")

        for client in clients { client.start() }
        try #require(
            run.waitFinished(seconds: 240),
            "finished: \(run.finishedCount) of \(connections); \(run.failures.prefix(3))")
        #expect(run.failures.isEmpty)
        #expect(run.verifiedMessages == connections * messagesEach)  // 1,000,000, each checked in order
        print("RELIABILITY load: \(run.verifiedMessages) messages over \(connections) concurrent connections verified")

        for client in clients { try client.handle?.close() }  // closes the descriptors before returning
        let leftOpen = ProcessFacts.openDescriptorSet.subtracting(descriptorsBefore)
        #expect(leftOpen.isEmpty, "left open: \(leftOpen.prefix(5))")
        try group.shutdown()
        #expect(perConnection < 16 * 1024)  // a sanity bound; the figure is printed above
    }

    @Test func memoryAndDescriptorsStayFlatOverTenRounds() throws {
        let perRound = 2_000
        let (server, port) = try Self.echoServer()
        defer { server.stop() }
        let group = try EventLoopGroup(loopCount: 2)
        var connector = Connector(host: "127.0.0.1", port: port, timeout: .seconds(60))
        connector.group = group
        connector.ioTimeout = .none
        let descriptorsBefore = ProcessFacts.openDescriptorSet
        var resident: [Int] = []
        for round in 0..<10 {
            let run = LoadRun(connections: perRound)
            var clients: [LoadClient] = []
            for id in 0..<perRound {
                let client = LoadClient(id: UInt32(id), messages: 10, run: run, startOnConnect: true)
                client.handle = try connector.connect(delegate: client)
                clients.append(client)
            }
            try #require(
                run.waitFinished(seconds: 120),
                "round \(round): \(run.finishedCount) finished; \(run.failures.prefix(3))")
            #expect(run.failures.isEmpty)
            for client in clients { try client.handle?.close() }
            clients.removeAll()
            let leftOpen = ProcessFacts.openDescriptorSet.subtracting(descriptorsBefore)
            #expect(leftOpen.isEmpty, "round \(round) left open: \(leftOpen.prefix(5))")
            resident.append(ProcessFacts.residentBytes)
        }
        print("RELIABILITY rounds: RSS after each round (KiB): \(resident.map { $0 / 1024 })")
        #expect(Double(resident[9]) <= Double(resident[0]) * 1.05, "RSS grew from \(resident[0]) to \(resident[9])")
        try group.shutdown()
    }
}
