import Testing
@testable import InetCore

/// The connect state machine (RFC 8305 attempts, then TLS), driven input by input (no sockets,
/// no clock): every legal transition, and the illegal ones trap.
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
        #expect(m.attemptFailed(1) == [.fail(.attemptsFailed)])
        #expect(m.phase == .failed(.attemptsFailed))
        #expect(m.isFinished)
    }

    @Test func aFailureWithOthersStillInFlightWaitsForThem() {
        var m = HappyEyeballs()
        _ = m.resolved(count: 2)
        _ = m.staggerElapsed()
        #expect(m.attemptFailed(1) == [])
        #expect(m.inFlight == [0])
        #expect(m.attemptSucceeded(0) == [.succeed(0)])
    }

    @Test func theFirstSuccessWinsAndLosersAreClosed() {
        var m = HappyEyeballs()
        _ = m.resolved(count: 3)
        _ = m.staggerElapsed()
        #expect(m.attemptSucceeded(1) == [.disarmStagger, .closeAttempt(0), .succeed(1)])
        #expect(m.phase == .succeeded(1))
        #expect(m.aborted() == [])  // a cancel that raced with the success changes nothing
    }

    @Test func secureConnectsHandshakeOnTheWinner() {
        var m = HappyEyeballs(secure: true)
        _ = m.resolved(count: 2)
        _ = m.staggerElapsed()
        #expect(m.attemptSucceeded(0) == [.closeAttempt(1), .startHandshake(0)])
        #expect(m.phase == .securing(0))
        #expect(m.handshakeEnded(succeeded: true) == [.succeed(0)])
        var failing = HappyEyeballs(secure: true)
        _ = failing.resolved(count: 1)
        _ = failing.attemptSucceeded(0)
        #expect(failing.handshakeEnded(succeeded: false) == [.fail(.handshakeFailed(0))])
    }

    @Test func timeoutClosesEverythingInFlight() {
        var m = HappyEyeballs()
        _ = m.resolved(count: 2)
        _ = m.staggerElapsed()
        #expect(m.timedOut() == [.closeAttempt(0), .closeAttempt(1), .fail(.timedOut(securing: nil))])
        var armed = HappyEyeballs()
        _ = armed.resolved(count: 2)
        #expect(armed.timedOut() == [.disarmStagger, .closeAttempt(0), .fail(.timedOut(securing: nil))])
        var securing = HappyEyeballs(secure: true)
        _ = securing.resolved(count: 1)
        _ = securing.attemptSucceeded(0)
        #expect(securing.timedOut() == [.closeAttempt(0), .fail(.timedOut(securing: 0))])
    }

    @Test func abortClosesWhatRunsAtEveryStage() {
        var resolving = HappyEyeballs()
        #expect(resolving.aborted() == [.fail(.aborted)])
        #expect(resolving.resolved(count: 2) == [])  // a resolution that finishes after the end
        var connecting = HappyEyeballs()
        _ = connecting.resolved(count: 2)
        #expect(connecting.aborted() == [.disarmStagger, .closeAttempt(0), .fail(.aborted)])
        var securing = HappyEyeballs(secure: true)
        _ = securing.resolved(count: 1)
        _ = securing.attemptSucceeded(0)
        #expect(securing.aborted() == [.closeAttempt(0), .fail(.aborted)])
        #expect(securing.aborted() == [])
    }

    @Test func timeoutWhileResolvingAndEmptyResolution() {
        var m = HappyEyeballs()
        #expect(m.timedOut() == [.fail(.timedOut(securing: nil))])
        #expect(m.resolved(count: 2) == [])
        var empty = HappyEyeballs()
        #expect(empty.resolved(count: 0) == [.fail(.noAddress)])
    }

    // Illegal inputs trap in debug builds (each in its own process).
    @Test func lateNewsFromAClosedAttemptTraps() async {
        await #expect(processExitsWith: .failure) {
            var m = HappyEyeballs()
            _ = m.resolved(count: 2)
            _ = m.attemptSucceeded(0)
            _ = m.attemptFailed(1)
        }
    }

    @Test func aTimeoutAfterTheEndTraps() async {
        await #expect(processExitsWith: .failure) {
            var m = HappyEyeballs()
            _ = m.resolved(count: 1)
            _ = m.attemptSucceeded(0)
            _ = m.timedOut()
        }
    }

    @Test func aHandshakeResultOutsideSecuringTraps() async {
        await #expect(processExitsWith: .failure) {
            var m = HappyEyeballs()
            _ = m.resolved(count: 1)
            _ = m.handshakeEnded(succeeded: true)
        }
    }

    @Test func aStaggerThatWasNotArmedTraps() async {
        await #expect(processExitsWith: .failure) {
            var m = HappyEyeballs()
            _ = m.resolved(count: 1)
            _ = m.staggerElapsed()
        }
    }
}
