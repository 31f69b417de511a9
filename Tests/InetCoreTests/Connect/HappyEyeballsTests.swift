import Testing
@testable import InetCore

/// The RFC 8305 state machine, driven event by event (no sockets, no clock).
@Suite struct HappyEyeballsTests {
    @Test func firstAttemptStartsAtOnceAndArmsTheStagger() {
        var m = HappyEyeballs()
        #expect(m.resolved(count: 3) == [.startAttempt(0), .armStagger])
        #expect(m.staggerElapsed() == [.startAttempt(1), .armStagger])
        #expect(m.staggerElapsed() == [.startAttempt(2)])  // last address: nothing left to stagger
        #expect(m.inFlight == [0, 1, 2])
    }

    @Test func aFailureStartsTheNextAttemptAtOnce() {
        var m = HappyEyeballs()
        _ = m.resolved(count: 2)
        #expect(m.attemptFailed(0) == [.disarmStagger, .startAttempt(1)])
        #expect(m.attemptFailed(1) == [.fail])
        #expect(m.phase == .failed)
    }

    @Test func theFirstSuccessWinsAndLosersAreClosed() {
        var m = HappyEyeballs()
        _ = m.resolved(count: 3)
        _ = m.staggerElapsed()
        #expect(m.attemptSucceeded(1) == [.disarmStagger, .closeAttempt(0), .succeed(1)])
        #expect(m.attemptFailed(0) == [])  // late news from a loser is ignored
        #expect(m.staggerElapsed() == [])
        #expect(m.phase == .succeeded(1))
    }

    @Test func timeoutClosesEverythingInFlight() {
        var m = HappyEyeballs()
        _ = m.resolved(count: 2)
        _ = m.staggerElapsed()
        #expect(m.timedOut() == [.closeAttempt(0), .closeAttempt(1), .fail])
        #expect(m.timedOut() == [])
    }

    @Test func timeoutWhileResolvingAndEmptyResolution() {
        var m = HappyEyeballs()
        #expect(m.timedOut() == [.fail])
        #expect(m.resolved(count: 2) == [])
        var empty = HappyEyeballs()
        #expect(empty.resolved(count: 0) == [.fail])
    }
}
