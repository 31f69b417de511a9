import Synchronization
import InetTestSupport
import Testing
@testable import InetCore

@Suite struct EventLoopTests {
    @Test func tasksRunInOrderOnTheLoopThread() async throws {
        let group = try EventLoopGroup(loopCount: 1)
        defer { try? group.shutdownFromDefer() }
        let loop = group.loops[0]
        let order = Locked<[Int]>([])
        let allOnLoop = Atomic<Bool>(true)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for i in 0..<100 {
                loop.execute {
                    if !loop.inEventLoop { allOnLoop.store(false, ordering: .relaxed) }
                    order.withLock { $0.append(i) }
                    if i == 99 { done.resume() }
                }
            }
        }
        #expect(order.withLock { $0 } == Array(0..<100))
        let everyTaskOnLoop = allOnLoop.load(ordering: .relaxed)
        #expect(everyTaskOnLoop)
    }

    @Test func timersFireInDeadlineOrderAndCancelledOnesNever() async throws {
        let group = try EventLoopGroup(loopCount: 1)
        defer { try? group.shutdownFromDefer() }
        let loop = group.loops[0]
        let fired = Locked<[String]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.schedule(after: .milliseconds(60)) {
                fired.withLock { $0.append("60") }
                done.resume()
            }
            loop.schedule(after: .milliseconds(20)) { fired.withLock { $0.append("20") } }
            let cancelled = loop.schedule(after: .milliseconds(10)) { fired.withLock { $0.append("cancelled") } }
            cancelled.cancel()
            loop.schedule(after: .milliseconds(40)) { fired.withLock { $0.append("40") } }
        }
        #expect(fired.withLock { $0 } == ["20", "40", "60"])
    }

    @Test func registrationTokensNeverMatchAReusedDescriptor() {
        let first = RegistrationToken(fd: 7, generation: 1)
        let reused = RegistrationToken(fd: 7, generation: 2)
        #expect(first.packed != reused.packed)
        #expect(RegistrationToken(packed: reused.packed) == reused)
        #expect(RegistrationToken(packed: RegistrationToken(fd: Int32.max, generation: .max).packed).fd == Int32.max)
    }

    @Test func aStalledResolverDoesNotDelayAnotherConnectionsIO() async throws {
        // One loop only: if resolution ran on it, the echo below could not happen.
        let group = try EventLoopGroup(loopCount: 1)
        defer { try? group.shutdownFromDefer() }
        let listener = try Listener(address: "127.0.0.1", port: 0, group: group)
        let port = Int(listener.localAddress.port)
        let stalled = StallingResolver(answer: [SocketAddress(ipLiteral: "127.0.0.1", port: 0)!])
        var slow = Connector(host: "stalled.test", port: port, timeout: .seconds(30))
        slow.resolver = stalled
        slow.group = group
        let slowConnect = Task { try await slow.connect() }
        stalled.waitUntilCalled()

        var fast = Connector(host: "127.0.0.1", port: port)
        fast.group = group
        let client = try await fast.connect()
        let server = try await listener.accept()
        for i in 0..<100 {
            try await client.write("ping \(i)")
            var got: [UInt8] = []
            while got.count < "ping \(i)".utf8.count { got += try await server.read() }
            #expect(got == Array("ping \(i)".utf8))
        }
        stalled.release()
        let late = try await slowConnect.value
        #expect(late.remoteAddress.port == UInt16(port))
    }

    @Test func groupShutdownFailsEveryWaiterAndClosesSockets() async throws {
        // One loop, so both ends fail together (with two, the first loop to stop would close
        // the server end and the client could first read a clean end-of-stream).
        let group = try EventLoopGroup(loopCount: 1)
        let listener = try Listener(address: "127.0.0.1", port: 0, group: group)
        var connector = Connector(host: "127.0.0.1", port: Int(listener.localAddress.port))
        connector.group = group
        let client = try await connector.connect()
        let server = try await listener.accept()  // kept alive: dropping it would close it (EOF)
        let pendingRead = Task { try await client.read(timeout: .seconds(30)) }
        let pendingAccept = Task { try await listener.accept() }
        await Task.yield()
        try await group.shutdown()
        await #expect { _ = try await pendingRead.value } throws: { ($0 as? InetError)?.code == .eventLoopShutdown }
        await #expect { _ = try await pendingAccept.value } throws: {
            [.eventLoopShutdown, .connectionClosed].contains(($0 as? InetError)?.code)
        }
        await #expect { try await client.write("after") } throws: { ($0 as? InetError)?.code == .eventLoopShutdown }
        await #expect { _ = try await connector.connect() } throws: { ($0 as? InetError)?.code == .eventLoopShutdown }
        await #expect { _ = try await server.read() } throws: { ($0 as? InetError)?.code == .eventLoopShutdown }
        try await group.shutdown()  // idempotent
    }
}
