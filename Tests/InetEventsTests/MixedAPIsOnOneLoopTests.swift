import InetTestSupport
import Testing
@testable import InetCore
import InetEvents

/// Every API style at once on one event loop (issue 12): a task on the loop's executor, a task on
/// the global executor, a blocking worker thread and a delegate, each with its own connection to
/// one socat echo server, all running concurrently. Each checks every echoed byte; the
/// ThreadSanitizer run of the suite (scripts/sanitize thread) checks the sharing.
@Suite struct MixedAPIsOnOneLoopTests {
    static let rounds = 300

    /// Message `i` of the connection tagged `tag`: 16 bytes naming both.
    static func message(_ tag: UInt8, _ i: Int) -> [UInt8] {
        [tag, UInt8(i & 0xFF), UInt8(i >> 8)] + Array(repeating: tag, count: 13)
    }

    /// Round trips through the async API; returns how many echoes matched.
    static func asyncPingPong(_ connector: Connector, tag: UInt8) async throws -> Int {
        let connection = try await connector.connect()
        var matched = 0
        var buffer: [UInt8] = []
        for i in 0..<rounds {
            try await connection.write(message(tag, i))
            var echo: [UInt8] = []
            while echo.count < 16 {
                guard try await connection.read(into: &buffer, maxBytes: 16 - echo.count) > 0 else { break }
                echo += buffer
            }
            if echo == message(tag, i) { matched += 1 }
        }
        try await connection.close()
        return matched
    }

    /// A delegate doing the same round trips from its callbacks on the loop thread.
    final class PingPong: ConnectionDelegate, @unchecked Sendable {  // safe: state behind `condition`
        private let condition = ConditionLock()
        private var sent = 0
        private var echo: [UInt8] = []
        private(set) var matched = 0
        private(set) var finished = false
        private(set) var problem: String?

        private func send(_ connection: EventConnection) {
            guard (try? connection.write(MixedAPIsOnOneLoopTests.message(4, sent))) == .wrote(16) else {
                return end("a 16-byte write was not taken whole")
            }
            sent += 1
        }

        private func end(_ why: String?) {
            problem = problem ?? why
            finished = true
            condition.broadcast()
        }

        func connectionDidConnect(_ connection: EventConnection, error: InetError?) {
            condition.lock()
            defer { condition.unlock() }
            if let error { return end("connect failed: \(error)") }
            send(connection)
        }

        func connectionCanRead(_ connection: EventConnection) {
            condition.lock()
            defer { condition.unlock() }
            var chunk = [UInt8](repeating: 0, count: 16 - echo.count)
            let result = try? chunk.withUnsafeMutableBytes { try connection.read(into: $0) }
            guard case .bytes(let n)? = result else { return end("read gave \(String(describing: result))") }
            echo += chunk[..<n]
            guard echo.count == 16 else { return }
            if echo == MixedAPIsOnOneLoopTests.message(4, sent - 1) { matched += 1 }
            echo = []
            if sent == MixedAPIsOnOneLoopTests.rounds { return end(nil) }
            send(connection)
        }

        func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) {
            condition.lock()
            defer { condition.unlock() }
            if !finished { end("disconnected early: \(String(describing: error))") }
        }

        /// Waits (a worker thread) until the round trips end; false on timeout.
        func waitUntilFinished() -> Bool {
            condition.lock()
            defer { condition.unlock() }
            let deadline = Deadline.after(.seconds(60))
            while !finished { if !condition.wait(until: deadline) { return false } }
            return true
        }
    }

    @Test func fourAPIStylesShareOneLoop() async throws {
        let (peer, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1,fork,reuseaddr", "PIPE")
        defer { peer.stop() }
        let group = try EventLoopGroup(loopCount: 1)
        let loop = group.loops[0]
        var connector = Connector(host: "127.0.0.1", port: port)
        connector.group = group
        let shared = connector

        let delegate = PingPong()
        let events = try connector.connect(delegate: delegate)
        async let onLoop = Task(executorPreference: loop) { try await Self.asyncPingPong(shared, tag: 1) }.value
        async let onGlobal = Task.detached { try await Self.asyncPingPong(shared, tag: 2) }.value
        async let onWorker = offPool { () throws -> Int in
            let connection = try shared.blocking.connect()
            var matched = 0
            for i in 0..<Self.rounds {
                try connection.blocking.write(Self.message(3, i))
                var echo: [UInt8] = []
                while echo.count < 16 {
                    let chunk = try connection.blocking.read(maxBytes: 16 - echo.count)
                    if chunk.isEmpty { break }
                    echo += chunk
                }
                if echo == Self.message(3, i) { matched += 1 }
            }
            try connection.blocking.close()
            return matched
        }
        let delegateDone = await waitOffPool { delegate.waitUntilFinished() }

        #expect(try await onLoop == Self.rounds)
        #expect(try await onGlobal == Self.rounds)
        #expect(try await onWorker == Self.rounds)
        #expect(delegateDone)
        #expect(delegate.problem == nil)
        #expect(delegate.matched == Self.rounds)
        try events.close()
        try await group.shutdown()
    }
}
