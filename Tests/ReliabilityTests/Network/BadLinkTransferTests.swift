import Foundation
import InetTestSupport
import InetTLS
import Testing
@testable import InetCore

/// Bulk data through a bad link (issue 15): the bed's veth link loses 1 % of the packets each
/// way, delays each by 50 ms ± 10 ms (so about a quarter of them overtake one another — the
/// jitter's own reordering, plus 25 % released at once by the shim), and duplicates 1 % (TEE).
/// An echo server (socat, plain or TLS) in the server namespace sends everything back: every
/// byte arrives exactly once and in order (checksum), the writer's queue stays within its limit
/// (backpressure) while the link is slower than the writer, throughput is printed.
///
/// The size is 1 MiB each way here (CI); `INET_SOAK_MIB` sets it (`scripts/soak`: 64).
@Suite(.serialized, .timeLimit(.minutes(10))) struct BadLinkTransferTests {
    static var mebibytes: Int { ProcessInfo.processInfo.environment["INET_SOAK_MIB"].flatMap(Int.init) ?? 1 }
    static let chunk = 64 << 10
    static let writeBufferLimit = 256 << 10

    /// The impairments on both sides' egress (IPv4, the family the tests use).
    static func impair(_ bed: TestBed) throws {
        for side in [TestBed.Side.client, .server] {
            try bed.dropRandomly(side, probability: 0.01, .ipv4)
            try bed.duplicateRandomly(side, probability: 0.01)
            try bed.delay(side, ms: 50, jitter: 10, reorder: 0.25, .ipv4)
        }
    }

    static func connector(_ bed: TestBed, port: Int, group: EventLoopGroup, secure: Bool) -> Connector {
        var connector = Connector(
            host: "server.test", port: port, timeout: .seconds(20), options: secure ? [.secure] : .default)
        connector.resolver = FixedResolver(addresses: [bed.serverV4])
        connector.group = group
        connector.writeBufferLimit = writeBufferLimit
        if secure { connector.credentials = SecurityCredentials(trustRootsFile: TestCertificates.path("ca.pem")) }
        return connector
    }

    /// Writes `mebibytes` MiB while reading the echo, then half-closes and reads to the end.
    /// Returns what was sent and what came back, the seconds it took, and the write queue's peak.
    static func echoThrough(
        _ connection: Connection, mebibytes: Int = mebibytes
    ) async throws -> (sent: Checksum, received: Checksum, seconds: Double, peak: Int) {
        let chunks = mebibytes * (1 << 20) / chunk
        let start = ContinuousClock.now
        let writer = Task {
            var sent = Checksum()
            for i in 0..<chunks {
                let bytes = Pattern.bytes(chunk, seed: UInt64(i))
                try await connection.write(bytes)
                sent.add(bytes)
            }
            try await connection.shutdown(.output)
            return sent
        }
        var received = Checksum()
        while true {
            let bytes = try await connection.read()
            if bytes.isEmpty { break }
            received.add(bytes)
        }
        let sent = try await writer.value
        let took: Duration = ContinuousClock.now - start
        let peak = await withTaskExecutorPreference(connection.eventLoop) {
            connection.core.value.writeQueue.peakByteCount
        }
        return (sent, received, Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18, peak)
    }

    @Test(arguments: [false, true]) func everyByteArrivesOnceAndInOrder(secure: Bool) async throws {
        let bed = try TestBed()
        let listen =
            secure
            ? "OPENSSL-LISTEN:0,fork,reuseaddr,verify=0,cert=\(TestCertificates.path("server-test.pem")),key=\(TestCertificates.path("server-test.key"))"
            : "TCP4-LISTEN:0,fork,reuseaddr"
        let (socat, port) = try Socat.listen(listen, "PIPE", namespace: bed.server, options: ["-t", "120"])
        defer { socat.stop() }
        try Self.impair(bed)
        let group = try await bed.clientGroup()
        let connection = try await Self.connector(bed, port: port, group: group, secure: secure).connect()
        if secure { #expect(connection.tls?.version == "TLSv1.3") }
        let result = try await Self.echoThrough(connection)
        let rate = Double(2 * result.sent.count) / result.seconds / 1e6
        print(
            "NETBED bad link \(secure ? "TLS" : "plain"): \(Self.mebibytes) MiB each way in \(String(format: "%.1f", result.seconds)) s (\(String(format: "%.2f", rate)) MB/s both ways), write queue peak \(result.peak) bytes"
        )
        let applied = try [TestBed.Side.client, .server].map { side in
            (try bed.hits(side, "DROP"), try bed.hits(side, "TEE"), try bed.hits(side, "NFQUEUE"))
        }
        let retransmitted = try bed.retransmissions(.client)
        print(
            "NETBED bad link \(secure ? "TLS" : "plain"): (dropped, duplicated, delayed) packets client→server \(applied[0]), server→client \(applied[1]); client retransmitted \(retransmitted) segments"
        )
        for (dropped, duplicated, delayed) in applied {
            #expect(dropped > 0 && duplicated > 0 && delayed > 100, "the impairments were not applied: \(applied)")
        }
        #expect(result.sent.count == Self.mebibytes << 20)
        #expect(result.received == result.sent, "sent \(result.sent), received \(result.received)")
        // Backpressure: a write waits while the queue is over its limit, so the queue never
        // holds more than the limit and one write.
        #expect(result.peak <= Self.writeBufferLimit + Self.chunk)
        try await connection.close()
        try await group.shutdown()
    }

    /// A link slower than the writer (tbf, 8 Mbit/s on the client's egress, a 200 ms queue):
    /// the writer is held back by the write queue's limit, not by memory — the queue peaks at
    /// its limit plus one write however much is written — and every byte still arrives.
    @Test func aRateLimitedLinkHoldsTheWriterBack() async throws {
        let bed = try TestBed()
        let (socat, port) = try Socat.listen(
            "TCP4-LISTEN:0,fork,reuseaddr", "PIPE", namespace: bed.server, options: ["-t", "60"])
        defer { socat.stop() }
        try bed.limitRate(.client, rate: "8mbit")
        let group = try await bed.clientGroup()
        let connection = try await Self.connector(bed, port: port, group: group, secure: false).connect()
        let mebibytes = 4
        let result = try await Self.echoThrough(connection, mebibytes: mebibytes)
        let stats = try bed.client.run(["tc", "-s", "qdisc", "show", "dev", bed.link])
        let overlimits =
            stats.split(separator: " ").split(separator: "overlimits").dropFirst().first?.first
            .flatMap { Int($0) } ?? 0
        let rate = Double(result.sent.count) * 8 / result.seconds / 1e6
        print(
            "NETBED rate-limited link (tbf 8 Mbit/s): \(mebibytes) MiB each way in \(String(format: "%.1f", result.seconds)) s (\(String(format: "%.2f", rate)) Mbit/s up), write queue peak \(result.peak) bytes (limit \(Self.writeBufferLimit)), tbf overlimits \(overlimits)"
        )
        #expect(overlimits > 100, "the rate limit was not reached: \(stats)")
        #expect(result.received == result.sent, "sent \(result.sent), received \(result.received)")
        #expect(result.peak >= Self.writeBufferLimit / 2, "the writer never outran the link (peak \(result.peak))")
        #expect(result.peak <= Self.writeBufferLimit + Self.chunk)
        try await connection.close()
        try await group.shutdown()
    }
}
