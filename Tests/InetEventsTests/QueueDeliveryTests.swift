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
        let inside = Locked(0), overlapped = Locked(false)
        log.onRead = { [unowned log] connection in
            if DispatchQueue.getSpecific(key: key) != 42 { offQueue.withLock { $0 += 1 } }
            if inside.withLock({ $0 += 1; return $0 }) > 1 { overlapped.withLock { $0 = true } }
            _ = log.read(connection, count: 1)  // re-arms; the next read event must wait for this callback
            inside.withLock { $0 -= 1 }
        }
        log.onWrite = { _ in if DispatchQueue.getSpecific(key: key) != 42 { offQueue.withLock { $0 += 1 } } }
        let client = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect(delegate: log, queue: queue)
        let server = try await listener.accept()
        try await server.write("wxyz")
        let entries = log.wait { $0.filter { $0 == .read }.count >= 4 }
        #expect(entries.filter { $0 == .read }.count == 4)
        #expect(Array(entries.prefix(2)) == [.connect(nil), .write])
        #expect(offQueue.withLock { $0 } == 0, "a callback ran off the named queue")
        #expect(!overlapped.withLock { $0 }, "two callbacks overlapped")
        try client.close()
    }
}
