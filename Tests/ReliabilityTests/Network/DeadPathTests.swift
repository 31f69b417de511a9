import Foundation
import InetTestSupport
import Testing
@testable import InetCore

/// A path that dies mid-stream (issue 15): the bed's link is cut (everything dropped, or the
/// server's end set down) while a connection is open. Inet's promises: a write that cannot be
/// accepted fails with its I/O timeout, naming that none of it was sent; with `.keepAlive` a
/// dead peer is found after idle + count × interval and reported as `networkReset`, also to a
/// reader waiting with no timeout; `userTimeout` breaks a connection whose sent data stays
/// unacknowledged that long, also `networkReset`. Without either, a reader with no timeout
/// waits (the kernel cannot know) — documented in Docs/Reliability.md.
@Suite(.serialized, .timeLimit(.minutes(3))) struct DeadPathTests {
    static func connector(
        _ bed: TestBed, port: Int, group: EventLoopGroup, options: InetOptions = .default
    ) -> Connector {
        var connector = Connector(host: bed.serverV4, port: port, timeout: .seconds(5), options: options)
        connector.group = group
        connector.writeBufferLimit = 64 << 10
        return connector
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// `base` stretched by the test slowdown (sanitizers).
    static func scaled(_ base: Duration) -> Duration {
        let factor: Double = ProcessFacts.slowdown
        return base * factor
    }

    /// Runs `body` with a fresh bed, a socat echo server in its server namespace (and its
    /// port), and a client-namespace loop group; then kills what runs in the server namespace
    /// (socat's child may be blocked on the dead path, which would keep `Peer.stop` waiting),
    /// stops socat and shuts the group down — also when `body` throws.
    static func withEchoBed(_ body: (TestBed, Int, EventLoopGroup) async throws -> Void) async throws {
        let bed = try TestBed()
        let (socat, port) = try Socat.listen("TCP4-LISTEN:0,fork,reuseaddr", "PIPE", namespace: bed.server)
        defer {
            bed.server.killAll()
            socat.stop()
        }
        let group = try await bed.clientGroup()
        do {
            try await body(bed, port, group)
        } catch {
            try? await group.shutdown()
            throw error
        }
        try await group.shutdown()
    }

    /// Echoes once to show the path works before it is cut.
    static func roundTrip(_ connection: Connection) async throws {
        try await connection.write("alive")
        #expect(try await connection.read(timeout: .seconds(5)) == Array("alive".utf8))
    }

    @Test func aWriteIntoADeadPathFailsWithItsTimeout() async throws {
        try await Self.withEchoBed { bed, port, group in
            var connector = Self.connector(bed, port: port, group: group)
            connector.ioTimeout = .after(.seconds(1))
            let connection = try await connector.connect()
            try await Self.roundTrip(connection)
            try bed.killPath(.server)
            // Writes are accepted until the kernel's send buffer and the queue are full; the one
            // that then waits fails at the I/O timeout, and none of it was sent.
            var accepted = 0
            var failure: InetError?
            var waited: Duration = .zero
            for i in 0..<2000 where failure == nil {
                let start = ContinuousClock.now
                do {
                    try await connection.write(Pattern.bytes(64 << 10, seed: UInt64(i)))
                    accepted += 1
                } catch {
                    failure = error as? InetError ?? InetError(.systemError, "\(error)")
                    waited = ContinuousClock.now - start
                }
            }
            print(
                "NETBED dead path, write: \(accepted) writes of 64 KiB accepted, then \(String(describing: failure)) after \(waited)"
            )
            #expect(failure?.code == .timedOut)
            #expect(failure?.message.contains("none of this write was sent") == true, "\(String(describing: failure))")
            let limit: Duration = .seconds(1)
            let slack: Duration = Self.scaled(.milliseconds(300))
            #expect(waited >= limit && waited < limit + slack, "the write waited \(waited)")
            try? await connection.close()
        }
    }

    @Test func keepAliveTellsAReaderWithNoTimeoutThatThePeerIsGone() async throws {
        try await Self.withEchoBed { bed, port, group in
            var connector = Self.connector(bed, port: port, group: group, options: [.noInherit, .keepAlive])
            connector.keepAlive = KeepAlive(idle: .seconds(1), interval: .seconds(1), count: 2)
            let connection = try await connector.connect()
            #expect(connection.ioTimeout == nil)
            try await Self.roundTrip(connection)
            // The server's end of the link goes down: nothing comes back, nobody is told.
            try bed.server.run(["ip", "link", "set", bed.link, "down"])
            let start = ContinuousClock.now
            let failure = await #expect(throws: InetError.self) { _ = try await connection.read() }
            let took: Duration = ContinuousClock.now - start
            print(
                "NETBED dead path, keep-alive 1 s + 2 × 1 s: read failed after \(took): \(String(describing: failure))")
            #expect(failure?.code == .networkReset, "\(String(describing: failure))")
            #expect(failure?.code.legacyCode == 10052)
            // Probes start 1 s after the last traffic, two go unanswered 1 s apart: about 3 s.
            let expected: Duration = .seconds(3)
            let early: Duration = .milliseconds(2500)
            let late: Duration = expected + Self.scaled(.seconds(1))
            #expect(took >= early && took < late, "took \(took)")
            try? await connection.close()
        }
    }

    @Test func userTimeoutBreaksAConnectionWithUnacknowledgedData() async throws {
        try await Self.withEchoBed { bed, port, group in
            var connector = Self.connector(bed, port: port, group: group)
            connector.userTimeout = .seconds(2)
            let connection = try await connector.connect()
            try await Self.roundTrip(connection)
            try bed.killPath(.server)
            let start = ContinuousClock.now
            try await connection.write("into the void")  // accepted by the kernel, never acknowledged
            let failure = await #expect(throws: InetError.self) { _ = try await connection.read() }
            let took: Duration = ContinuousClock.now - start
            print("NETBED dead path, user timeout 2 s: read failed after \(took): \(String(describing: failure))")
            #expect(failure?.code == .networkReset, "\(String(describing: failure))")
            let expected: Duration = .seconds(2)
            let late: Duration = expected + Self.scaled(.seconds(2))
            #expect(took >= expected && took < late, "took \(took)")
            // Later calls report the same broken connection.
            await #expect(throws: InetError.self) { try await connection.write("more") }
            try? await connection.close()
        }
    }

    @Test func thePathComingBackInTimeLosesNothing() async throws {
        try await Self.withEchoBed { bed, port, group in
            let connection = try await Self.connector(bed, port: port, group: group).connect()
            try await Self.roundTrip(connection)
            try bed.killPath(.server)
            var sent = Checksum()
            for i in 0..<8 {
                let bytes = Pattern.bytes(16 << 10, seed: UInt64(i))
                try await connection.write(bytes)
                sent.add(bytes)
            }
            // The path stays dead until the kernel has retransmitted twice, then comes back.
            let retransmitted = try bed.retransmissions(.client)
            #expect(try bed.awaitRetransmissions(.client, beyond: retransmitted + 1))
            try bed.flush(.server)
            var received = Checksum()
            while received.count < sent.count {
                let bytes = try await connection.read(timeout: .seconds(30))
                if bytes.isEmpty { break }
                received.add(bytes)
            }
            #expect(received == sent)
            try await connection.close()
        }
    }
}
