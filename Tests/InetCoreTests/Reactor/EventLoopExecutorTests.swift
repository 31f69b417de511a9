import InetTestSupport
import Testing
@testable import InetCore

/// The event loop as a task executor (issue 12): tasks run on the loop thread, reads and writes
/// with nothing to wait for complete without handing the loop anything, and waiting, timeouts,
/// cancellation and shutdown keep working.
@Suite struct EventLoopExecutorTests {
    /// An echo server (on the shared loops), a one-loop group, and a connector whose connections go on that loop.
    static func echoOnOwnLoop() throws -> (
        server: Listener, group: EventLoopGroup, loop: EventLoop, connector: Connector
    ) {
        let server = try SyscallFaultTests.echoServer()
        let group = try EventLoopGroup(loopCount: 1)
        var connector = Connector(host: "127.0.0.1", port: Int(server.localAddress.port))
        connector.group = group
        return (server, group, group.loops[0], connector)
    }

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
        let (server, group, loop, connector) = try Self.echoOnOwnLoop()
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
            do throws(InetError) {
                _ = try await connection.read(timeout: .milliseconds(50))
                return nil
            } catch { return error.code }
        }.value
        #expect(timedOut == .timedOut)
        let reader = Task(executorPreference: loop) { () -> InetErrorCode? in
            do throws(InetError) {
                _ = try await connection.read()
                return nil
            } catch { return error.code }
        }
        reader.cancel()
        #expect(await reader.value == .cancelled)
        // Cancelled before it reads: the fast path steps aside and the read fails as cancelled.
        let cancelledFirst = Task(executorPreference: loop) { () -> InetErrorCode? in
            withUnsafeCurrentTask { $0?.cancel() }
            do throws(InetError) {
                _ = try await connection.read()
                return nil
            } catch { return error.code }
        }
        #expect(await cancelledFirst.value == .cancelled)
        try await connection.close()
        try await group.shutdown()
        await server.close()
    }

    /// `read(into:)`: the caller's array, reused; on the loop nothing is handed to the loop
    /// when bytes are there, and waiting, end of stream, timeouts and cancellation behave as
    /// `read()`'s; off the loop it works the same way.
    @Test func readIntoACallersBufferOnAndOffTheLoop() async throws {
        let (server, group, loop, connector) = try Self.echoOnOwnLoop()
        let (texts, handed) = try await Task(executorPreference: loop) { () async throws -> ([String], Int) in
            let connection = try await connector.connect()
            var buffer = [UInt8](repeating: 0, count: 64)
            var texts: [String] = []
            try await connection.write("one")
            var n = try await connection.read(into: &buffer, maxBytes: 3)  // waits for the echo
            texts.append(String(decoding: buffer[..<n], as: UTF8.self))
            try await connection.write("twothree")
            while !connection.core.value.hasInputWaiting { await Task.yield() }
            let before = loop.submissionCount
            n = try await connection.read(into: &buffer, maxBytes: 3)
            let handed = loop.submissionCount - before
            texts.append(String(decoding: buffer[..<n], as: UTF8.self))
            n = try await connection.read(into: &buffer)
            texts.append(String(decoding: buffer[..<n], as: UTF8.self))
            // Nothing comes: the timeout, then a cancellation, end the wait.
            do throws(InetError) { _ = try await connection.read(into: &buffer, timeout: .milliseconds(30)) } catch {
                texts.append(error.code == .timedOut ? "timed out" : "\(error)")
            }
            try await connection.shutdown(.output)
            n = try await connection.read(into: &buffer)  // the echo server closes after our FIN
            texts.append("end \(n)")
            try await connection.close()
            return (texts, handed)
        }.value
        #expect(texts == ["one", "two", "three", "timed out", "end 0"])
        #expect(handed == 0)

        let reader = Task(executorPreference: loop) { () async -> InetErrorCode? in
            let connection = try? await connector.connect()
            var buffer: [UInt8] = []
            withUnsafeCurrentTask { $0?.cancel() }
            do throws(InetError) {
                _ = try await connection?.read(into: &buffer)
                return nil
            } catch { return error.code }
        }
        #expect(await reader.value == .cancelled)

        // Off the loop: the same answers.
        let connection = try await connector.connect()
        var buffer: [UInt8] = []
        try await connection.write("off")
        var got = ""
        while got.count < 3 {
            let n = try await connection.read(into: &buffer)
            got += String(decoding: buffer[..<n], as: UTF8.self)
        }
        #expect(got == "off")
        try await connection.close()
        try await group.shutdown()
        await server.close()
    }

    /// A `read(into:)` waiting on the loop, cancelled at a different moment each time (after 0…9
    /// turns of the canceller): always `cancelled`, once, and no waiter is left behind.
    @Test func readIntoCancelledWhileWaitingOnTheLoopManyTimes() async throws {
        let server = try Listener(address: "127.0.0.1", port: 0)  // accepts, never answers
        let group = try EventLoopGroup(loopCount: 1)
        let loop = group.loops[0]
        var connector = Connector(host: "127.0.0.1", port: Int(server.localAddress.port))
        connector.group = group
        let connection = try await Task(executorPreference: loop) { try await connector.connect() }.value
        var outcomes: [InetErrorCode?] = []
        for round in 0..<50 {
            let reader = Task(executorPreference: loop) { () async -> InetErrorCode? in
                var buffer = [UInt8](repeating: 0, count: 16)
                do throws(InetError) {
                    _ = try await connection.read(into: &buffer)
                    return nil
                } catch { return error.code }
            }
            for _ in 0..<(round % 10) { await Task.yield() }
            reader.cancel()
            outcomes.append(await reader.value)
        }
        #expect(outcomes == Array(repeating: .cancelled, count: 50))
        let core = connection.core
        let leftWaiting = try runOnLoop(loop, "pending reads") { .success(!core.value.pendingReads.isEmpty) }
        #expect(!leftWaiting)
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
        let (server, group, loop, connector) = try Self.echoOnOwnLoop()
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

/// Connection's async methods run on their caller's executor and come back to it: code on an
/// actor stays isolated to it across reads that wait, writes, connect and close, whether the
/// actor runs on the global pool or (under a task-executor preference) on the loop.
@Suite struct ActorCallerTests {
    actor Client {
        let connection: Connection
        var rounds = 0
        init(_ connection: Connection) { self.connection = connection }

        /// Echo round trips; after every await the actor must still hold its isolation.
        /// `onLoop`: where this actor's code is expected to run (the preferred loop, or not).
        func pingpong(_ count: Int, onLoop: Bool) async throws -> Int {
            var buffer: [UInt8] = []
            for i in 0..<count {
                try await connection.write(Array(repeating: UInt8(truncatingIfNeeded: i), count: 8))
                assertIsolated()
                #expect(connection.eventLoop.inEventLoop == onLoop)
                var got = 0
                while got < 8 {
                    // Alternate the two reads: both wait for the echo on most rounds.
                    if i % 2 == 0 {
                        got += try await connection.read(into: &buffer)
                    } else {
                        got += try await connection.read().count
                    }
                    assertIsolated()
                    #expect(connection.eventLoop.inEventLoop == onLoop)
                }
                rounds += 1
            }
            return rounds
        }
    }

    @Test func anActorOnTheGlobalPoolStaysIsolatedAcrossWaits() async throws {
        let (server, group, _, connector) = try EventLoopExecutorTests.echoOnOwnLoop()
        let connection = try await connector.connect()
        let client = Client(connection)
        #expect(try await client.pingpong(200, onLoop: false) == 200)
        try await connection.close()
        try await group.shutdown()
        await server.close()
    }

    @Test func anActorUnderALoopPreferenceStaysIsolatedAcrossWaits() async throws {
        let (server, group, loop, connector) = try EventLoopExecutorTests.echoOnOwnLoop()
        let rounds = try await Task(executorPreference: loop) {
            let connection = try await connector.connect()
            let client = Client(connection)
            let rounds = try await client.pingpong(200, onLoop: true)
            try await connection.close()
            return rounds
        }.value
        #expect(rounds == 200)
        try await group.shutdown()
        await server.close()
    }
}

/// The natural entry points put work on the loop that owns the socket (issue 12).
@Suite struct LoopPlacementTests {
    @Test func aConnectFromALoopTaskStaysOnThatLoop() async throws {
        let server = try SyscallFaultTests.echoServer()
        let group = try EventLoopGroup(loopCount: 2)
        var configured = Connector(host: "127.0.0.1", port: Int(server.localAddress.port))
        configured.group = group
        let connector = configured
        let second = group.loops[1]
        let placed = try await Task(executorPreference: second) { () async throws -> [Int] in
            var loops: [Int] = []
            for _ in 0..<4 {
                let connection = try await connector.connect()
                loops.append(connection.eventLoop.index)
                try await connection.close()
            }
            return loops
        }.value
        #expect(placed == [1, 1, 1, 1])
        // From elsewhere: the group's round robin.
        var elsewhere: Set<Int> = []
        for _ in 0..<4 {
            let connection = try await connector.connect()
            elsewhere.insert(connection.eventLoop.index)
            try await connection.close()
        }
        #expect(elsewhere == [0, 1])
        try await group.shutdown()
        await server.close()
    }

    @Test func serveRunsEachHandlerOnItsConnectionsLoopAndEndsWithTheListener() async throws {
        let group = try EventLoopGroup(loopCount: 2)
        let listener = try Listener(address: "127.0.0.1", port: 0, group: group)
        let onOwnLoop = Locked<[Bool]>([])
        let serving = Task {
            try await listener.serve { connection in
                onOwnLoop.withLock { $0.append(connection.eventLoop.inEventLoop) }
                while let chunk = try? await connection.read(), !chunk.isEmpty { try? await connection.write(chunk) }
                try? await connection.close()
            }
        }
        for i in 0..<6 {
            let client = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect()
            try await client.write("hello \(i)")
            var got: [UInt8] = []
            while got.count < 7 { got += try await client.read() }
            #expect(got == Array("hello \(i)".utf8))
            try await client.close()
        }
        await listener.close()
        try await serving.value  // returns once the listener is closed and the handlers are done
        #expect(onOwnLoop.withLock { $0 } == Array(repeating: true, count: 6))
        try await group.shutdown()
    }

    @Test func cancellingServeCancelsItsHandlers() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let handlerEnded = Locked<InetErrorCode?>(nil)
        let (started, startedSignal) = AsyncStream<Void>.makeStream()
        let serving = Task {
            try await listener.serve { connection in
                startedSignal.yield()
                do throws(InetError) { _ = try await connection.read() } catch {
                    handlerEnded.withLock { $0 = error.code }
                }
            }
        }
        let client = try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect()
        var signals = started.makeAsyncIterator()
        _ = await signals.next()  // the handler runs and waits in its read
        serving.cancel()
        try await serving.value
        #expect(handlerEnded.withLock { $0 } == .cancelled)
        try await client.close()
        await listener.close()
    }
}
