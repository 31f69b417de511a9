import Foundation
import Glibc
import InetTestSupport
import Testing
@testable import InetCore

/// Many connections through one impaired link (issue 15): 1,000 TCP connections at once from
/// one event loop to a socat echo server (a process per connection) across the bed's link,
/// which loses 5 % of the packets each way and delays the client's by 20 ms (NFQUEUE). Each
/// connection echoes 100 messages of its own sizes and contents, one at a time, and checks
/// each: nothing lost, reordered, corrupted or mixed between connections.
///
/// A soak test (`scripts/soak`, `INET_SOAK_MANY=1`), not in the default run. It once failed in
/// CI (35 s, some connections failing: the signature of a stalled server side, which the test
/// bed's unread stderr pipes could cause — fixed); Docs/Reliability.md has the account. What it
/// prints on failure names each failed connection, when, and the peers' own counts.
@Suite(
    .serialized, .timeLimit(.minutes(5)),
    .enabled(if: ProcessInfo.processInfo.environment["INET_SOAK_MANY"] == "1", "a soak test: scripts/soak runs it")
)
struct ManyConnectionsTests {
    static let connections = 1_000
    static let messages = 100

    /// Waits (bounded: 5 s, every 10 ms) until something listens on `port` in `namespace` —
    /// socat says so only on stderr, which this test does not read (1,000 forks would fill it).
    static func awaitListening(_ namespace: Namespace, port: Int) throws {
        let deadline = Deadline.after(.seconds(5))
        while try namespace.run(["ss", "-Hltn", "sport = :\(port)"]).isEmpty {
            guard deadline.remaining > .zero else { throw PeerError("nothing listens on \(port) after 5 s") }
            usleep(10_000)
        }
    }

    /// One connection's 100 round trips; the messages' sizes (1…1,400 bytes) and bytes depend on
    /// the connection and the message number.
    static func size(_ seed: UInt64) -> Int { 1 + Int(seed &* 2_654_435_761 % 1_400) }

    static func echo(_ connection: Connection, id: Int) async throws -> Int {
        var reader = connection.bufferedReader()
        var bytes = 0
        for i in 0..<messages {
            let seed = UInt64(id * messages + i)
            let message = Pattern.bytes(size(seed), seed: seed)
            try await connection.write(message)
            let echo = try await reader.read(exactly: message.count, timeout: .seconds(30))
            guard echo == message else {
                throw PeerError("connection \(id), message \(i): \(message.count) bytes came back changed")
            }
            bytes += message.count
        }
        try await connection.close()
        return bytes
    }

    /// What one connection (or all of them, added up) did: bytes echoed, failures, and the
    /// slowest connect and whole connection seen.
    struct Run: Sendable {
        var bytes = 0
        var failures: [String] = []
        var slowestConnect = Duration.zero
        var slowest = Duration.zero

        init() {}
        init(bytes: Int, connect: Duration, total: Duration) {
            (self.bytes, slowestConnect, slowest) = (bytes, connect, total)
        }
        init(failure: String) { failures = [failure] }

        mutating func add(_ other: Run) {
            bytes += other.bytes
            failures += other.failures
            slowestConnect = max(slowestConnect, other.slowestConnect)
            slowest = max(slowest, other.slowest)
        }
    }

    @Test func aThousandConnectionsEchoEveryMessageExactly() async throws {
        let bed = try TestBed()
        let port = 7001
        // socat's messages go to a file: 1,000 children writing to an unread stderr pipe would
        // block once it holds 64 KiB, each stalling its connection.
        let log = "/tmp/inet-many-socat-\(getpid()).log"
        let socat = try bed.server.start([
            "socat", "-lf", log, "TCP4-LISTEN:\(port),fork,reuseaddr,backlog=1024", "PIPE",
        ])
        defer {
            bed.server.killAll()
            socat.stop()
            unlink(log)
        }
        try Self.awaitListening(bed.server, port: port)
        for side in [TestBed.Side.client, .server] { try bed.dropRandomly(side, probability: 0.05, .ipv4) }
        try bed.delay(.client, ms: 20, .ipv4)
        let group = try await bed.clientGroup()
        let connector = {
            var connector = Connector(host: bed.serverV4, port: port, timeout: .seconds(30))
            connector.group = group
            return connector
        }()
        let before = try bed.retransmissions(.client)
        let start = ContinuousClock.now
        let outcome = await withTaskGroup(of: Run.self) { tasks in
            for id in 0..<Self.connections {
                tasks.addTask {
                    let began = ContinuousClock.now
                    do {
                        let connection = try await connector.connect()
                        let connected = ContinuousClock.now - began
                        let bytes = try await Self.echo(connection, id: id)
                        return Run(bytes: bytes, connect: connected, total: ContinuousClock.now - began)
                    } catch {
                        return Run(failure: "connection \(id) after \(ContinuousClock.now - began): \(error)")
                    }
                }
            }
            var all = Run()
            for await run in tasks { all.add(run) }
            return all
        }
        let took = ContinuousClock.now - start
        let retransmitted = try bed.retransmissions(.client) - before
        let dropped = (try bed.hits(.client, "DROP"), try bed.hits(.server, "DROP"))
        // The server's accept queue: an overflow drops a handshake's last ACK, and the client's
        // first message then waits for the server's SYN-ACK retransmissions (1 s, 2 s, 4 s …).
        let listen = try ["TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtSyncookiesSent"].map {
            "\($0) \(try bed.counter(.server, $0))"
        }
        print(
            "NETBED \(Self.connections) connections × \(Self.messages) messages over 5% loss each way + 20 ms: \(outcome.bytes) bytes echoed in \(took), \(outcome.failures.count) failed; slowest connect \(outcome.slowestConnect), slowest connection \(outcome.slowest); dropped client→server \(dropped.0), server→client \(dropped.1), delayed \(try bed.hits(.client, "NFQUEUE")); client retransmitted \(retransmitted) segments; server \(listen.joined(separator: ", "))"
        )
        print("NETBED delay shim: \(bed.stopShims().joined(separator: "; "))")
        let socatSaid = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        print(
            "NETBED socat logged \(socatSaid.split(separator: "\n").count) lines\(socatSaid.isEmpty ? "" : ", last: \(socatSaid.suffix(600))")"
        )
        let expected = (0..<UInt64(Self.connections * Self.messages)).reduce(0) { $0 + Self.size($1) }
        #expect(outcome.bytes == expected, "\(outcome.bytes) bytes echoed, \(expected) sent")
        #expect(
            outcome.failures.isEmpty,
            "\(outcome.failures.count) connections failed, first: \(outcome.failures.prefix(3))")
        #expect(dropped.0 > 1_000 && dropped.1 > 1_000, "the loss was not applied: \(dropped)")
        #expect(retransmitted > 1_000)
        try await group.shutdown()
    }
}
