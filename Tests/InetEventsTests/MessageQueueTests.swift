import Glibc
import InetEvents
import Testing
@testable import InetCore

/// The message queue ends: finished (after what was posted), or by cancelling the task that
/// iterates it; a blocking pump sees the end at once.
@Suite struct MessageQueueTests {
    static func message(_ n: UInt32) -> LegacyMessage {
        LegacyMessage(handle: InetHandle(rawValue: 7), eventMessage: 0x401, lParam: n)
    }

    /// A task that iterates `queue` to its end and counts the messages.
    static func pump(_ queue: MessageQueue) -> Task<Int, Never> {
        Task {
            var count = 0
            for await _ in queue { count += 1 }
            return count
        }
    }

    @Test func finishDeliversWhatWasPostedThenEnds() async {
        let queue = MessageQueue()
        queue.post(Self.message(1))
        queue.post(Self.message(2))
        queue.finish()
        queue.post(Self.message(3))  // after the end: dropped
        var seen: [UInt32] = []
        for await message in queue { seen.append(message.lParam) }
        #expect(seen == [1, 2])
        #expect(queue.isFinished)
    }

    @Test func finishWakesAWaitingIterator() async {
        let queue = MessageQueue()
        let pump = Self.pump(queue)
        queue.post(Self.message(1))
        queue.finish()
        #expect(await pump.value <= 1)  // the posted one, if it came before the end, then nil
    }

    @Test func cancellingTheIteratingTaskEndsItsIteration() async {
        let queue = MessageQueue()
        let pump = Self.pump(queue)
        pump.cancel()
        #expect(await pump.value == 0)
        queue.post(Self.message(9))  // no waiter left to resume twice: it stays queued
        #expect(queue.count == 1)
    }

    @Test func aBlockingPumpSeesTheEndAtOnce() throws {
        let queue = MessageQueue()
        queue.finish()
        let started = ContinuousClock.now
        let result = try BlockingTests.onThread { queue.next(timeout: .seconds(30)) }
        #expect(result == nil)
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}

/// Runs a blocking call on a thread of its own.
enum BlockingTests {
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) throws -> T {
        let result = Locked<T?>(nil)
        let thread = try spawnThread(name: "queue-pump", detached: false) {
            let value = body()
            result.withLock { $0 = value }
        }
        pthread_join(thread, nil)
        return result.withLock { $0! }
    }
}
