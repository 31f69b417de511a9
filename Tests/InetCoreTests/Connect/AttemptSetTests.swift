import Testing
@testable import InetCore

/// The in-flight set of the connect machine: one word for the first 64 addresses, an array past
/// them; always iterated in ascending (start) order.
@Suite struct AttemptSetTests {
    @Test func insertsRemovesAndIteratesInOrder() {
        var set = AttemptSet()
        #expect(set.isEmpty)
        for index in [5, 0, 63, 2] { set.insert(index) }
        #expect(Array(set) == [0, 2, 5, 63])
        #expect(set.contains(63) && !set.contains(1))
        let removed = set.remove(2)
        let again = set.remove(2)
        #expect(removed && !again)
        #expect(Array(set) == [0, 5, 63])
    }

    @Test func indicesPastSixtyFourGoToTheOverflow() {
        var set: AttemptSet = [1, 64, 65, 200]
        #expect(Array(set) == [1, 64, 65, 200])
        #expect(set.contains(200) && !set.contains(66))
        let removed = set.remove(64)
        #expect(removed)
        set.insert(65)  // already there: not twice
        #expect(Array(set) == [1, 65, 200])
        for index in [1, 65, 200] {
            let removed = set.remove(index)
            #expect(removed)
        }
        #expect(set.isEmpty)
    }

    @Test func aConnectWithSeventyAddressesTriesThemAllInOrder() {
        var m = HappyEyeballs()
        var started: [Int] = []
        var actions = m.resolved(count: 70)
        while true {
            for case .startAttempt(let index) in actions { started.append(index) }
            guard actions.contains(.armStagger) else { break }
            actions = m.staggerElapsed()
        }
        #expect(started == Array(0..<70))
        #expect(Array(m.inFlight) == Array(0..<70))
        // The winner past the first word closes every other attempt, in start order.
        let closing = m.attemptSucceeded(66)
        #expect(closing.count == 70)
        #expect(Array(closing).last == .succeed(66))
        #expect(Array(closing).prefix(3) == [.closeAttempt(0), .closeAttempt(1), .closeAttempt(2)])
    }
}
