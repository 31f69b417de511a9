import InetTestSupport
import Glibc
import Synchronization
import Testing
@testable import InetCore

/// The blocking API: worker threads, timeouts, and the refusal on loop threads.
@Suite struct BlockingAPITests {
    /// Runs `body` on `count` plain threads at once and waits for all of them.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        final class Box: @unchecked Sendable {  // safe: each box is handed to one thread
            let body: () -> Void
            init(_ body: @escaping () -> Void) { self.body = body }
        }
        var threads: [pthread_t] = []
        for i in 0..<count {
            var tid = pthread_t()
            let box = Unmanaged.passRetained(Box { body(i) }).toOpaque()
            pthread_create(
                &tid, nil,
                { raw in
                    Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
                    return nil
                }, box)
            threads.append(tid)
        }
        for tid in threads { pthread_join(tid, nil) }
    }

    @Test func eightWorkerThreadsAtOnce() throws {
        // socat echoes (one process per connection); the workers are plain threads.
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1,fork,reuseaddr", "PIPE")
        defer { socat.stop() }
        let results = Locked<[Int: String]>([:])
        Self.onThreads(8) { i in
            let outcome: String
            do throws(InetError) {
                let connection = try Connector(host: "127.0.0.1", port: port, timeout: .seconds(10)).blocking.connect()
                var received: [UInt8] = []
                for round in 0..<50 {
                    let message = Array("worker \(i) round \(round);".utf8)
                    try connection.blocking.write(message)
                    var echoed: [UInt8] = []
                    while echoed.count < message.count { echoed += try connection.blocking.read() }
                    received += echoed
                }
                try connection.blocking.shutdown(.output)
                #expect(try connection.blocking.read().isEmpty)
                try connection.blocking.close()
                outcome = String(decoding: received, as: UTF8.self)
            } catch {
                outcome = "error: \(error)"
            }
            results.withLock { $0[i] = outcome }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 8)
        for i in 0..<8 {
            let expected = (0..<50).map { "worker \(i) round \($0);" }.joined()
            #expect(all[i] == expected, "worker \(i): \(all[i] ?? "nothing")")
        }
    }

    @Test func blockingCallsOnALoopThreadFailWithWouldDeadlock() throws {
        let group = try EventLoopGroup(loopCount: 1)
        defer { try? group.shutdownFromDefer() }
        let outcome = Locked<InetErrorCode?>(nil)
        let done = ConditionLock()
        var finished = false
        let finishedPointer = UnsafeTransfer(withUnsafeMutablePointer(to: &finished) { $0 })
        group.loops[0].execute {
            do throws(InetError) {
                _ = try Connector(host: "127.0.0.1", port: 9).blocking.connect()
            } catch {
                outcome.withLock { $0 = error.code }
            }
            done.lock()
            finishedPointer.value.pointee = true
            done.broadcast()
            done.unlock()
        }
        done.lock()
        while !finished { _ = done.wait() }
        done.unlock()
        #expect(outcome.withLock { $0 } == .wouldDeadlock)
    }

    @Test func blockingReadTimesOutAndLosesNothing() throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let client = try Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).blocking.connect()
        let server = try listener.blocking.accept(timeout: .seconds(5))
        #expect { _ = try client.blocking.read(timeout: .milliseconds(30)) } throws: {
            ($0 as? InetError)?.code == .timedOut
        }
        try server.blocking.write("late")
        #expect(try client.blocking.read(timeout: .seconds(5)) == Array("late".utf8))
        #expect { _ = try client.blocking.read(timeout: .zero) } throws: { ($0 as? InetError)?.code == .invalidTimeout }
    }

    @Test func blockingAcceptTimesOut() throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        #expect { _ = try listener.blocking.accept(timeout: .milliseconds(30)) } throws: {
            ($0 as? InetError)?.code == .timedOut
        }
    }
}
