import Glibc
import InetTestSupport
import Testing
@testable import InetCore
@testable import InetEvents

/// The function-style legacy API, handles and threads, and the message adapter.
@Suite(.serialized) struct LegacyAPITests {
    /// Runs `body` on a new plain thread and returns its result.
    static func onOtherThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = Locked<T?>(nil)
        let tid = try! spawnThread(name: "legacy-test", detached: false) { result.withLock { $0 = body() } }
        pthread_join(tid, nil)
        return result.withLock { $0! }
    }

    @Test func refusedConnectEventCarries0x274DInTheHighWord() throws {
        let closed = try ClosedPort()
        let queue = MessageQueue()
        let adapter = LegacyEventAdapter(eventMessage: 0x0401, sink: .queue(queue))
        let handle = Inet.asyncConnectEx("127.0.0.1", UInt32(closed.port), .tcp, 5, 0, nil, 0, nil, adapter)
        #expect(handle != .invalid)
        #expect(Inet.getLastError() == 0)
        let message = try #require(queue.next(timeout: .seconds(10)))
        #expect(message.handle == handle)
        #expect(message.eventMessage == 0x0401)
        #expect(message.lParam == 0x274D_0001)
        #expect(message.event == .connect)
        #expect(message.description == "event=connect handle=\(handle) msg=0x0401 lparam=0x274d0001 error=10061")
        #expect(queue.next(timeout: .milliseconds(100)) == nil)  // nothing follows a failed connect
        #expect(Inet.disconnect(handle) == 0)
    }

    @Test func eventMessageMustBeAboveWMUser() {
        #expect { try LegacyEventAdapter(eventMessage: 0x0400, sink: .queue(MessageQueue())).validate() } throws: {
            ($0 as? InetError)?.code == .invalidParameter && ($0 as? InetError)?.message.contains("WM_USER") == true
        }
    }

    @Test func portedClientWorksUnchangedInShape() throws {
        // socat echoes and closes after our FIN.
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        // The C original, line for line:
        //   InetInitialize(key, NULL); h = InetConnect("127.0.0.1", port, INET_PROTOCOL_TCP, 5, 0, NULL);
        //   InetWrite(h, msg, len); InetShutdown(h, 1); while ((n = InetRead(h, buf, sizeof buf)) > 0) …; InetDisconnect(h);
        #expect(Inet.initialize("license"))
        let h = Inet.connect("127.0.0.1", UInt32(port), .tcp, 5, 0, nil)
        #expect(h != InetHandle.invalid, "\(Inet.errorDescription(Inet.getLastError()))")
        let message = Array("ported from C".utf8)
        #expect(message.withUnsafeBytes { Inet.write(h, $0) } == Int32(message.count))
        #expect(Inet.shutdown(h, 1) == 0)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4)
        while true {
            let n = buffer.withUnsafeMutableBytes { Inet.read(h, $0) }
            #expect(n >= 0, "read failed: \(Inet.getLastError())")
            if n <= 0 { break }
            received += buffer[0..<Int(n)]
        }
        #expect(received == message)
        #expect(Inet.disconnect(h) == 0)
        Inet.uninitialize()
    }

    @Test func ownershipAcrossThreadsAndAttachThread() throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let port = UInt32(listener.localAddress.port)
        let owned = Inet.connect("127.0.0.1", port, .tcp, 5, 0, nil)
        let free = Inet.connect("127.0.0.1", port, .tcp, 5, InetOptions.freeThread.rawValue, nil)
        #expect(owned != .invalid && free != .invalid)
        let me = Inet.currentThreadID
        // Another thread may not use the owned handle, but may use the free-thread one.
        let (ownedResult, ownedError, freeResult) = Self.onOtherThread { () -> (Bool, UInt32, Bool) in
            let a = Inet.isWritable(owned, 0)
            let error = Inet.getLastError()
            let b = Inet.isWritable(free, 0)
            return (a, error, b)
        }
        #expect(!ownedResult)
        #expect(ownedError == InetErrorCode.notHandleOwner.legacyCode)
        #expect(freeResult)
        #expect(Inet.getLastError() == 0)  // last error is per thread: this thread's is untouched
        // A worker takes the handle (the owner attaches it to the worker), uses it, and gives it
        // back before it ends, as the original's documentation asks.
        let handOver = ConditionLock()
        let workerID = Locked<UInt32?>(nil)
        let attached = Locked(false)
        let worker = try! spawnThread(name: "legacy-worker", detached: false) {
            workerID.withLock { $0 = Inet.currentThreadID }
            handOver.lock()
            handOver.broadcast()
            handOver.unlock()
            handOver.lock()
            while !attached.withLock({ $0 }) { _ = handOver.wait(until: .after(.seconds(5))) }
            handOver.unlock()
            let usable = Inet.isWritable(owned, 0)
            let previous = Inet.attachThread(owned, me)  // back to the original owner; returns the worker itself
            workerID.withLock { $0 = usable && previous == Inet.currentThreadID ? $0 : 0 }
        }
        handOver.lock()
        while workerID.withLock({ $0 }) == nil { _ = handOver.wait(until: .after(.seconds(5))) }
        handOver.unlock()
        let workerTID = try #require(workerID.withLock { $0 })
        #expect(Inet.attachThread(owned, workerTID) == me)
        #expect(!Inet.isWritable(owned, 0) && Inet.getLastError() == InetErrorCode.notHandleOwner.legacyCode)
        attached.withLock { $0 = true }
        handOver.lock()
        handOver.broadcast()
        handOver.unlock()
        pthread_join(worker, nil)
        #expect(workerID.withLock { $0 } == workerTID, "the worker could not use the handle or give it back")
        #expect(Inet.isWritable(owned, 0))  // ours again
        #expect(Inet.disconnect(owned) == 0 && Inet.disconnect(free) == 0)
    }

    @Test func handlesAreNeverReusedAndDeadOnesAreInvalid() throws {
        let closed = try ClosedPort()
        let adapter = LegacyEventAdapter(eventMessage: 0x0500, sink: .closure { _ in })
        var seen = Set<InetHandle>()
        for _ in 0..<10_000 {
            let handle = Inet.asyncConnect("127.0.0.1", UInt32(closed.port), .tcp, 5, 0, nil, adapter)
            #expect(handle != .invalid)
            #expect(seen.insert(handle).inserted, "handle \(handle) was issued twice")
            #expect(Inet.disconnect(handle) == 0)
        }
        let dead = try #require(seen.first)
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(buffer.withUnsafeMutableBytes { Inet.read(dead, $0) } == Inet.error)
        #expect(Inet.getLastError() == InetErrorCode.invalidHandle.legacyCode)
        #expect(Inet.disconnect(InetHandle(rawValue: 12345)) == Inet.error)
        #expect(Inet.errorDescription(InetErrorCode.invalidHandle.legacyCode) == "invalid handle")
    }

    @Test func messageQueuePumpDrivesAnEchoExchange() throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        let queue = MessageQueue()
        let adapter = LegacyEventAdapter(eventMessage: 0x0401, sink: .queue(queue))
        let h = Inet.asyncConnect("127.0.0.1", UInt32(port), .tcp, 5, 0, nil, adapter)
        var events: [InetEvent] = []
        var echoed: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while echoed.count < 5, let message = queue.next(timeout: .seconds(10)) {
            let event = try #require(message.event)
            events.append(event)
            switch event {
            case .write where !events.dropLast().contains(.write):
                #expect(Array("hello".utf8).withUnsafeBytes { Inet.write(h, $0) } == 5)
            case .read:
                let n = buffer.withUnsafeMutableBytes { Inet.read(h, $0) }
                if n > 0 { echoed += buffer[0..<Int(n)] }
            default: break
            }
        }
        #expect(Array(events.prefix(2)) == [.connect, .write])
        #expect(String(decoding: echoed, as: UTF8.self) == "hello")
        #expect(Inet.disconnect(h) == 0)
    }
}
