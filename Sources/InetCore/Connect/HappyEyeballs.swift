/// The connect state machine — RFC 8305 attempts, then the TLS handshake — free of sockets and
/// clocks.
///
/// Feed it inputs (`resolved`, `staggerElapsed`, `attemptFailed`, `attemptSucceeded`,
/// `handshakeEnded`, `timedOut`, `aborted`); it answers with actions for the driver
/// (`ConnectOperation`). Attempts start one at a time in address order: the next starts when the
/// stagger delay passes or, at once, when an attempt fails. The first success wins and every
/// other attempt is closed; a secure connect then runs its handshake on the winner.
///
/// ```
/// resolving ─► connecting ─► securing ─► succeeded
///     │            │            │
///     └────────────┴────────────┴──────► failed
/// ```
/// `succeeded` and `failed` have no outgoing edge. An input a state cannot take traps in debug
/// builds (release builds ignore it); the one input that may legitimately arrive late is a
/// resolution finishing after the connect already failed (it ran on another thread).
struct HappyEyeballs {
    enum Phase: Equatable {
        case resolving
        /// Attempts run: `inFlight` in start order, `next` the next address to try, and whether
        /// the stagger timer is armed.
        case connecting(inFlight: AttemptSet, next: Int, staggerArmed: Bool)
        /// The winner's TLS handshake runs.
        case securing(Int)
        case succeeded(Int)
        case failed(Failure)
    }

    /// Why a connect failed; the driver builds the error from it (in one place).
    enum Failure: Equatable {
        /// Resolution found no usable address.
        case noAddress
        /// Every address was tried and failed.
        case attemptsFailed
        /// The overall deadline passed; `securing`: during the TLS handshake of this attempt.
        case timedOut(securing: Int?)
        /// The winner's TLS handshake failed.
        case handshakeFailed(Int)
        /// Ended from outside: cancelled, or the loop shut down.
        case aborted
    }

    enum Action: Equatable {
        case startAttempt(Int)
        case armStagger
        case disarmStagger
        case closeAttempt(Int)
        case startHandshake(Int)
        case succeed(Int)
        case fail(Failure)
    }

    /// What one input returns (inline: no allocation for the usual one to three actions).
    typealias Actions = ActionList<Action>

    /// Whether a successful attempt is followed by a TLS handshake.
    let secure: Bool
    private(set) var phase = Phase.resolving
    private(set) var addressCount = 0

    init(secure: Bool = false) { self.secure = secure }

    var isFinished: Bool {
        switch phase {
        case .succeeded, .failed: true
        case .resolving, .connecting, .securing: false
        }
    }

    /// The attempts in flight (while connecting).
    var inFlight: AttemptSet { if case .connecting(let inFlight, _, _) = phase { inFlight } else { [] } }

    mutating func resolved(count: Int) -> Actions {
        switch phase {
        case .resolving: break
        case .failed: return []  // the connect ended while the name was being resolved
        case .connecting, .securing, .succeeded: return illegal("resolved")
        }
        addressCount = count
        guard count > 0 else { return end(.failed(.noAddress), closing: EmptyCollection(), .fail(.noAddress)) }
        return startNext(inFlight: [], next: 0)
    }

    mutating func staggerElapsed() -> Actions {
        guard case .connecting(let inFlight, let next, true) = phase else { return illegal("staggerElapsed") }
        return startNext(inFlight: inFlight, next: next)
    }

    mutating func attemptFailed(_ index: Int) -> Actions {
        guard case .connecting(var inFlight, let next, let armed) = phase,
            inFlight.remove(index)
        else { return illegal("attemptFailed(\(index))") }
        var actions = armed ? Actions(.disarmStagger) : Actions()
        if next < addressCount {
            actions.append(contentsOf: startNext(inFlight: inFlight, next: next))
        } else if inFlight.isEmpty {
            actions.append(
                contentsOf: end(.failed(.attemptsFailed), closing: EmptyCollection(), .fail(.attemptsFailed)))
        } else {
            phase = .connecting(inFlight: inFlight, next: next, staggerArmed: false)
        }
        return actions
    }

    mutating func attemptSucceeded(_ index: Int) -> Actions {
        guard case .connecting(let inFlight, _, let armed) = phase, inFlight.contains(index) else {
            return illegal("attemptSucceeded(\(index))")
        }
        var actions = armed ? Actions(.disarmStagger) : Actions()
        let losers = inFlight.lazy.filter { $0 != index }
        if secure {
            phase = .securing(index)
            for loser in losers { actions.append(.closeAttempt(loser)) }
            actions.append(.startHandshake(index))
            return actions
        }
        actions.append(contentsOf: end(.succeeded(index), closing: losers, .succeed(index)))
        return actions
    }

    mutating func handshakeEnded(succeeded: Bool) -> Actions {
        guard case .securing(let index) = phase else { return illegal("handshakeEnded") }
        if succeeded { return end(.succeeded(index), closing: EmptyCollection(), .succeed(index)) }
        return end(.failed(.handshakeFailed(index)), closing: EmptyCollection(), .fail(.handshakeFailed(index)))
    }

    mutating func timedOut() -> Actions {
        switch phase {
        case .resolving:
            return end(.failed(.timedOut(securing: nil)), closing: EmptyCollection(), .fail(.timedOut(securing: nil)))
        case .connecting(let inFlight, _, let armed):
            var actions = armed ? Actions(.disarmStagger) : Actions()
            actions.append(
                contentsOf: end(.failed(.timedOut(securing: nil)), closing: inFlight, .fail(.timedOut(securing: nil))))
            return actions
        case .securing(let index):
            return end(
                .failed(.timedOut(securing: index)), closing: CollectionOfOne(index), .fail(.timedOut(securing: index)))
        case .succeeded, .failed:
            return illegal("timedOut")  // the deadline timer is cancelled when the connect ends
        }
    }

    /// Cancelled or shut down: closes whatever runs. After the end it is a no-op (a cancel may
    /// race with the connect's own ending).
    mutating func aborted() -> Actions {
        switch phase {
        case .resolving:
            return end(.failed(.aborted), closing: EmptyCollection(), .fail(.aborted))
        case .connecting(let inFlight, _, let armed):
            var actions = armed ? Actions(.disarmStagger) : Actions()
            actions.append(contentsOf: end(.failed(.aborted), closing: inFlight, .fail(.aborted)))
            return actions
        case .securing(let index):
            return end(.failed(.aborted), closing: CollectionOfOne(index), .fail(.aborted))
        case .succeeded, .failed:
            return []
        }
    }

    private mutating func startNext(inFlight: AttemptSet, next: Int) -> Actions {
        let more = next + 1 < addressCount
        var started = inFlight
        started.insert(next)  // no allocation below 64 addresses
        phase = .connecting(inFlight: started, next: next + 1, staggerArmed: more)
        var actions = Actions(.startAttempt(next))
        if more { actions.append(.armStagger) }
        return actions
    }

    private mutating func end(_ final: Phase, closing: some Sequence<Int>, _ last: Action) -> Actions {
        phase = final
        var actions = Actions()
        for index in closing { actions.append(.closeAttempt(index)) }
        actions.append(last)
        return actions
    }

    private func illegal(_ input: String) -> Actions {
        assertionFailure("HappyEyeballs: \(input) is not an input of phase \(phase)")
        return []
    }
}
