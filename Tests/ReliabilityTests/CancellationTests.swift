import Foundation
import Glibc
import InetTestSupport
import InetTLS
import Testing
@testable import InetCore

/// Cancellation and timeouts at every stage of a connect, plain and TLS, many times each: every
/// one ends exactly once with `cancelled` (or `timedOut` for a blocking call's timeout), nothing
/// crashes, and every socket it opened is closed. Then reads, writes, accepts and receives.
@Suite(.serialized) struct CancellationTests {
    static let rounds = 20
    static let trust = SecurityCredentials(trustRootsFile: TestCertificates.path("ca.pem"))

    static func connector(_ port: Int, secure: Bool = false, timeout: Duration = .seconds(10)) -> Connector {
        var c = Connector(
            host: "127.0.0.1", port: port, timeout: timeout, options: secure ? [.noInherit, .secure] : [.noInherit])
        if secure { c.credentials = trust }
        return c
    }

    /// Starts `connector`'s connect with `marks` installed and cancels it once the seam saw
    /// `count` marked `connect(2)` calls (an event, not a guess): it must end `cancelled`.
    static func cancelAfterConnectCalls(_ connector: Connector, count: Int, marks: [SyscallRule], _ stage: String) async
    {
        await SyscallScript.with(marks) {
            let task = Task { try await connector.connect() }
            #expect(await SyscallScript.injection(.connect, count: count))
            task.cancel()
            await Self.expectCancelled(task, stage)
        }
    }

    /// Awaits an operation that was cancelled: it must fail with `cancelled` (its message
    /// containing `text`), never crash or succeed.
    static func expectCancelled<T>(_ task: Task<T, any Error>, _ stage: String, containing text: String = "") async {
        switch await task.result {
        case .success(let value):
            Issue.record("\(stage): succeeded after the cancel: \(value)")
        case .failure(let error):
            let error = error as? InetError
            #expect(
                error?.code == .cancelled && (text.isEmpty || error?.message.contains(text) == true),
                "\(stage): \(String(describing: error))")
        }
    }

    /// Descriptors are back to `before` (by identity).
    /// The descriptors open now, once the shared loops and the test certificates exist (both live for
    /// the process).
    static var openDescriptors: Set<String> {
        _ = EventLoopGroup.shared
        _ = TestCertificates.directory  // made on first use, by processes Foundation watches through sockets
        return ProcessFacts.openDescriptorSet
    }

    static func describe(_ entries: Set<String>) -> String {
        var out: [String] = []
        for file in ["/proc/net/unix", "/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for entry in entries {
                guard let inode = entry.split(separator: "[").last?.dropLast() else { continue }
                for line in text.split(separator: "\n") where line.contains(" \(inode) ") {
                    out.append("\(file): \(line)")
                }
            }
        }
        return out.joined(separator: "; ")
    }

    static func expectNoDescriptorLeft(_ before: Set<String>, _ stage: String) {
        // Sockets only: the runtime's own descriptors (Dispatch's epoll, eventfd and timerfd for
        // the global executor's timers) come and go with the test harness.
        let left = ProcessFacts.openDescriptorSet.subtracting(before).filter { $0.contains("socket:") }
        #expect(left.isEmpty, "\(stage): descriptors left open: \(left) \(Self.describe(left))")
    }

    @Test func cancelWhileResolving() async throws {
        let before = Self.openDescriptors
        for _ in 0..<Self.rounds {
            let stalled = StallingResolver()
            var connector = Connector(host: "stalls.test", port: 9, timeout: .seconds(10))
            connector.resolver = stalled
            let stalling = connector
            let task = Task { try await stalling.connect() }
            _ = await waitOffPool {
                stalled.waitUntilCalled()
                return true
            }
            task.cancel()
            await Self.expectCancelled(task, "resolving")
            stalled.release()  // the late answer finds the connect ended
        }
        Self.expectNoDescriptorLeft(before, "resolving")
    }

    /// The syscall seam tells, as an event, that the attempt's `connect(2)` ran: an injected
    /// `EINTR` (the layer retries it, so the real call follows).
    @Test func cancelDuringTheTCPConnect() async throws {
        let hole = try BlackHole()
        let before = Self.openDescriptors
        for _ in 0..<Self.rounds {
            await Self.cancelAfterConnectCalls(
                Self.connector(hole.port), count: 1,
                marks: [SyscallRule(.connect, .fail(EINTR))], "TCP connect")
        }
        Self.expectNoDescriptorLeft(before, "TCP connect")
    }

    /// Two addresses, the first unanswered: cancelled while it runs and the second waits for its
    /// turn, or after the second began.
    @Test func cancelBetweenHappyEyeballsAttempts() async throws {
        let hole = try BlackHole()
        let before = Self.openDescriptors
        for round in 0..<Self.rounds {
            var connector = Self.connector(hole.port)
            connector.host = "two.test"
            connector.resolver = FixedResolver(addresses: ["127.0.0.1", "127.0.0.2"])
            connector.happyEyeballsDelay = round % 2 == 0 ? .seconds(5) : .milliseconds(10)
            // One EINTR before each attempt's connect (the layer retries it; the second rule skips
            // that retry, then marks the second attempt's call). Even rounds: cancelled during the
            // stagger; odd rounds: after the second attempt began (refused at once: nothing listens
            // on 127.0.0.2) while the first still waits.
            let marks = [SyscallRule(.connect, .fail(EINTR)), SyscallRule(.connect, skip: 1, .fail(EINTR))]
            await Self.cancelAfterConnectCalls(
                connector, count: round % 2 == 0 ? 1 : 2, marks: marks, "between attempts")
        }
        Self.expectNoDescriptorLeft(before, "between attempts")
    }

    /// The server reads the ClientHello and never answers: the client is in its handshake when
    /// cancelled. (Before the fix this crashed the process: the close of the handshaking socket
    /// completed the connect, then the cancel completed it again.)
    @Test func cancelDuringTheTLSHandshake() async throws {
        let server = try Listener(address: "127.0.0.1", port: 0)
        let before = Self.openDescriptors
        for _ in 0..<Self.rounds {
            let connector = Self.connector(Int(server.localAddress.port), secure: true)
            let task = Task { try await connector.connect() }
            let accepted = try await server.accept(timeout: .seconds(10))
            let hello = try await accepted.read(timeout: .seconds(10))
            #expect(hello.first == 0x16)  // a TLS handshake record: the client is handshaking
            task.cancel()
            await Self.expectCancelled(task, "TLS handshake")
            #expect(try await accepted.read(timeout: .seconds(10)) == [])  // the client closed its socket
            try await accepted.close()
        }
        Self.expectNoDescriptorLeft(before, "TLS handshake")
        await server.close()
    }

    /// A seeded random-cancellation driver against `openssl s_server`: each connect is cancelled
    /// after a random 0–6 ms, so cancels land at every stage, including after success.
    @Test func randomCancellationAgainstSServer() async throws {
        // -quiet: s_server writes nothing per connection (no pipe to fill over 300 connects), so
        // the port is chosen here and readiness is its first accepted TCP connect.
        let port = try FaultTests.RawPeer().port  // free once the probe socket closes
        let server = try Peer([
            "openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-quiet",
            "-cert", TestCertificates.path("server.pem"), "-key", TestCertificates.path("server.key"),
        ])
        defer { server.stop() }
        try await Self.waitUntilListening(port)
        var rng = FuzzTests.random()
        let before = Self.openDescriptors
        var connected = 0
        var cancelled = 0
        let count = 300
        let started = ContinuousClock.now
        for _ in 0..<count where ContinuousClock.now - started < .seconds(60) {
            var named = Self.connector(port, secure: true)
            named.host = "localhost"
            let connector = named
            let task = Task { try await connector.connect() }
            // The random delay is the test's input (when the cancel lands), not a synchronisation.
            try await Task.sleep(for: .microseconds(Int.random(in: 0...6000, using: &rng)))
            task.cancel()
            switch await task.result {
            case .success(let connection):
                connected += 1
                try await connection.close()
            case .failure(let error):
                #expect((error as? InetError)?.code == .cancelled, "\(error)")
                cancelled += 1
            }
        }
        print("random cancellation: \(connected) connected, \(cancelled) cancelled of \(connected + cancelled)")
        #expect(connected + cancelled >= 100)
        #expect(cancelled > 0)
        Self.expectNoDescriptorLeft(before, "random cancellation")
    }

    /// Returns once a TCP connect to `port` succeeds (each refused try is an answer, not a
    /// guess; bounded by 10 s).
    static func waitUntilListening(_ port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            var probe = Connector(host: "127.0.0.1", port: port, timeout: .seconds(1))
            probe.options = [.noInherit]
            if let connection = try? await probe.connect() {
                try await connection.close()
                return
            }
            await Task.yield()
        }
        throw PeerError("nothing listens on port \(port)")
    }

    // MARK: blocking calls: their timeouts at the same stages

    static func blockingConnect(_ connector: Connector) async -> Result<Connection, InetError> {
        await withCheckedContinuation { continuation in
            do throws(InetError) {
                try spawnThread(name: "worker", detached: true) {
                    continuation.resume(returning: Result { () throws(InetError) in try connector.blocking.connect() })
                }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }

    static func expectTimedOut(_ result: Result<Connection, InetError>, _ stage: String, containing text: String) {
        switch result {
        case .success: Issue.record("\(stage): connected")
        case .failure(let error):
            #expect(error.code == .timedOut && error.message.contains(text), "\(stage): \(error)")
        }
    }

    @Test func blockingTimeoutsAtEveryStage() async throws {
        let hole = try BlackHole()
        let silent = try Listener(address: "127.0.0.1", port: 0)
        let before = Self.openDescriptors
        for _ in 0..<3 {
            let stalled = StallingResolver()
            var resolving = Self.connector(9, timeout: .milliseconds(300))
            resolving.host = "stalls.test"
            resolving.resolver = stalled
            Self.expectTimedOut(await Self.blockingConnect(resolving), "resolving", containing: "timed out")
            stalled.release()

            Self.expectTimedOut(
                await Self.blockingConnect(Self.connector(hole.port, timeout: .milliseconds(300))),
                "TCP connect", containing: "timed out")

            let handshake = Task {
                await Self.blockingConnect(
                    Self.connector(Int(silent.localAddress.port), secure: true, timeout: .milliseconds(300)))
            }
            let accepted = try await silent.accept(timeout: .seconds(10))
            Self.expectTimedOut(await handshake.value, "TLS handshake", containing: "TLS handshake")
            try await accepted.close()
        }
        Self.expectNoDescriptorLeft(before, "blocking timeouts")
        await silent.close()
    }

    // MARK: reads, writes, accepts, receives

    @Test func cancelAPendingReadAWaitingWriteAnAcceptAndAReceive() async throws {
        let server = try Listener(address: "127.0.0.1", port: 0)
        let before = Self.openDescriptors
        for _ in 0..<Self.rounds {
            var connector = Self.connector(Int(server.localAddress.port))
            connector.writeBufferLimit = 1024
            let client = try await connector.connect()
            let peer = try await server.accept(timeout: .seconds(10))

            let read = Task { try await client.read() }
            read.cancel()
            await Self.expectCancelled(read, "read")
            // The connection goes on: a later read gets the peer's bytes.
            try await peer.write("after")
            #expect(try await client.read(timeout: .seconds(10)) == Array("after".utf8))

            // Fill the queue past its limit (the peer reads nothing), then a write waits.
            let big = [UInt8](repeating: 7, count: 8 << 20)
            try await client.write(big)
            let write = Task { try await client.write([1, 2, 3]) }
            write.cancel()
            await Self.expectCancelled(write, "write", containing: "none of it was sent")
            try client.resetForTesting()  // 8 MiB the peer never reads: no graceful close
            try await peer.close()

            let accept = Task { try await server.accept() }
            accept.cancel()
            await Self.expectCancelled(accept, "accept")
        }
        let udp = try Listener(address: "127.0.0.1", port: 0, protocol: .udp)
        for _ in 0..<Self.rounds {
            let receive = Task { try await udp.receive() }
            receive.cancel()
            await Self.expectCancelled(receive, "receive")
        }
        await udp.close()
        await server.close()
        Self.expectNoDescriptorLeft(before, "read/write/accept/receive")
    }
}
