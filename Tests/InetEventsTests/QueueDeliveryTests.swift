import Dispatch
import Testing
@testable import InetCore
import InetEvents

/// Events delivered on a queue the caller names, still in order and one at a time.
@Suite struct QueueDeliveryTests {
    @Test func eventsRunOnTheNamedQueueInOrder() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let queue = DispatchQueue(label: "inet.test.delivery")
        let key = DispatchSpecificKey<Int>()
        queue.setSpecific(key: key, value: 42)
        let log = EventLog()
        let offQueue = Locked(0)
        let inside = Locked(0)
        let overlapped = Locked(false)
        log.onRead = { [unowned log] connection in
            if DispatchQueue.getSpecific(key: key) != 42 { offQueue.withLock { $0 += 1 } }
            if inside.withLock({
                $0 += 1
                return $0
            }) > 1 {
                overlapped.withLock { $0 = true }
            }
            _ = log.read(connection, count: 1)  // re-arms; the next read event must wait for this callback
            inside.withLock { $0 -= 1 }
        }
        log.onWrite = { _ in if DispatchQueue.getSpecific(key: key) != 42 { offQueue.withLock { $0 += 1 } } }
        let client = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(
            delegate: log, queue: queue)
        let server = try await listener.accept()
        try await server.write("wxyz")
        let entries = log.wait { $0.filter { $0 == .read }.count >= 4 }
        #expect(entries.filter { $0 == .read }.count == 4)
        #expect(Array(entries.prefix(2)) == [.connect(nil), .write])
        #expect(offQueue.withLock { $0 } == 0, "a callback ran off the named queue")
        #expect(!overlapped.withLock { $0 }, "two callbacks overlapped")
        try client.close()
    }

    /// A read event already handed to the (blocked) queue when `disableEvents()` returns is not
    /// delivered; after `enableEvents()` the read fires again. And once `close()` returns from
    /// another thread, no callback runs, even one that was queued.
    @Test func disableAndCloseHoldOnTheQueueToo() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let queue = DispatchQueue(label: "inet.test.gate")
        let log = EventLog()
        let client = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(
            delegate: log, queue: queue)
        let server = try await listener.accept()
        log.wait { $0.contains(.write) }
        // Hold the queue, then make a read event due: the loop hands it to the queue, behind the
        // blocker. The loop has seen the bytes once the connection says input may be waiting.
        let blocker = ConditionLock()
        let released = Locked(false)
        queue.async {
            blocker.lock()
            while !released.withLock({ $0 }) { _ = blocker.wait() }
            blocker.unlock()
        }
        try await server.write("x")
        let connection = try #require(client.connection)
        let loop = connection.eventLoop
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline,
            !(try runOnLoop(loop, "probe") { .success(connection.mayHaveInputOnLoop) })
        {
            await Task.yield()
        }
        try client.disableEvents()
        blocker.lock()
        released.withLock { $0 = true }
        blocker.broadcast()
        blocker.unlock()
        queue.sync {}  // whatever was queued has had its turn
        #expect(!log.all.contains(.read), "a read event was delivered after disableEvents() returned")
        try client.enableEvents()
        #expect(log.wait { $0.contains(.read) }.contains(.read))  // re-fired: the byte is waiting
        try client.close()
        queue.sync {}
        let count = log.all.count
        try await server.write("more")
        try await server.close()
        try runOnLoop(loop, "barrier") { .success(()) }  // the loop has run since
        queue.sync {}
        #expect(log.all.count == count, "an event was delivered after close() returned")
    }
}
