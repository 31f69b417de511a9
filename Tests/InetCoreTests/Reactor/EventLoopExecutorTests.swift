import InetTestSupport
import Testing
@testable import InetCore

/// The event loop as a task executor (issue 12): tasks run on the loop thread, reads and writes
/// with nothing to wait for complete without handing the loop anything, and waiting, timeouts,
/// cancellation and shutdown keep working.
@Suite struct EventLoopExecutorTests {
    static func echoServer() throws -> Listener { try SyscallFaultTests.echoServer() }

    static func noop() async {}

    @Test func tasksPreferringTheLoopRunOnItsThread() async throws {
        let group = try EventLoopGroup(loopCount: 1)
        let loop = group.loops[0]
        #expect(await Task(executorPreference: loop) { loop.inEventLoop }.value)
        await withTaskExecutorPreference(loop) { #expect(loop.inEventLoop) }
        #expect(!loop.inEventLoop)  // back on the caller's executor
        try await group.shutdown()
    }

    @Test func readsAndWritesWithNothingToWaitForHandTheLoopNothing() async throws {
        let server = try Self.echoServer()
        let group = try EventLoopGroup(loopCount: 1)
        let loop = group.loops[0]
        var connector = Connector(host: "127.0.0.1", port: Int(server.localAddress.port))
        connector.group = group
        let (handedForRead, handedForWrite, second) = try await Task(executorPreference: loop) {
            let connection = try await connector.connect()
            try await connection.write("abcdef")
            let first = try await connection.read(maxBytes: 1)
            #expect(first == Array("a".utf8))
            // Until the rest of the echo is there (each yield is a loop turn, events included).
            while !connection.core.value.hasInputWaiting { await Task.yield() }
            // Calling a nonisolated async function from a loop task continues inline, too.
            let beforeCall = loop.submissionCount
            await Self.noop()
            #expect(loop.submissionCount == beforeCall)
            let before = loop.submissionCount
            let second = try await connection.read(maxBytes: 5)
            let afterRead = loop.submissionCount
            try await connection.write("g")
            let handedForWrite = loop.submissionCount - afterRead
            try await connection.close()
            return (afterRead - before, handedForWrite, second)
        }.value
        #expect(second == Array("bcdef".utf8))
        #expect(handedForRead == 0)
        #expect(handedForWrite == 0)
        try await group.shutdown()
        await server.close()
    }

    @Test func waitingTimeoutsAndCancellationStillWorkOnTheLoop() async throws {
        let server = try Listener(address: "127.0.0.1", port: 0)  // accepts, never answers
        let group = try EventLoopGroup(loopCount: 1)
        let loop = group.loops[0]
        var connector = Connector(host: "127.0.0.1", port: Int(server.localAddress.port))
        connector.group = group
        let connection = try await Task(executorPreference: loop) { try await connector.connect() }.value
        let timedOut = await Task(executorPreference: loop) { () -> InetErrorCode? in
            do throws(InetError) { _ = try await connection.read(timeout: .milliseconds(50)); return nil } catch { return error.code }
        }.value
        #expect(timedOut == .timedOut)
        let reader = Task(executorPreference: loop) { () -> InetErrorCode? in
            do throws(InetError) { _ = try await connection.read(); return nil } catch { return error.code }
        }
        reader.cancel()
        #expect(await reader.value == .cancelled)
        // Cancelled before it reads: the fast path steps aside and the read fails as cancelled.
        let cancelledFirst = Task(executorPreference: loop) { () -> InetErrorCode? in
            withUnsafeCurrentTask { $0?.cancel() }
            do throws(InetError) { _ = try await connection.read(); return nil } catch { return error.code }
        }
        #expect(await cancelledFirst.value == .cancelled)
        try await connection.close()
        try await group.shutdown()
        await server.close()
    }

    @Test func aTaskPreferringAStoppedLoopStillRuns() async throws {
        let group = try EventLoopGroup(loopCount: 1)
        let loop = group.loops[0]
        try await group.shutdown()
        #expect(await Task(executorPreference: loop) { 42 }.value == 42)
        #expect(await Task(executorPreference: loop) { loop.inEventLoop }.value == false)
    }

    /// A writer on the loop executor and a reader on the global executor share one connection.
    @Test func mixedExecutorsOnOneConnection() async throws {
        let server = try Self.echoServer()
        let group = try EventLoopGroup(loopCount: 1)
        let loop = group.loops[0]
        var connector = Connector(host: "127.0.0.1", port: Int(server.localAddress.port))
        connector.group = group
        let connection = try await connector.connect()
        let total = 1000 * 16
        let writer = Task(executorPreference: loop) {
            for i in 0..<1000 { try await connection.write(Array(repeating: UInt8(i % 256), count: 16)) }
        }
        var received: [UInt8] = []
        while received.count < total {
            let chunk = try await connection.read()
            if chunk.isEmpty { break }
            received += chunk
        }
        try await writer.value
        #expect(received.count == total)
        #expect(received == (0..<1000).flatMap { Array(repeating: UInt8($0 % 256), count: 16) })
        try await connection.close()
        try await group.shutdown()
        await server.close()
    }
}
