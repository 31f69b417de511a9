/// The RFC 8305 connection-attempt state machine, free of sockets and clocks.
///
/// Feed it events (`resolved`, `staggerElapsed`, `attemptFailed`, `attemptSucceeded`,
/// `timedOut`); it answers with actions for the driver. Attempts start one at a time in address
/// order: the next starts when the stagger delay passes or, at once, when an attempt fails. The
/// first success wins and every other attempt is closed.
struct HappyEyeballs {
    enum Phase: Equatable {
        case resolving
        case connecting
        case succeeded(Int)
        case failed
    }

    enum Action: Equatable {
        case startAttempt(Int)
        case armStagger
        case disarmStagger
        case closeAttempt(Int)
        case succeed(Int)
        case fail
    }

    private(set) var phase = Phase.resolving
    private(set) var addressCount = 0
    private(set) var inFlight: [Int] = []
    private var nextIndex = 0
    private var staggerArmed = false

    mutating func resolved(count: Int) -> [Action] {
        guard phase == .resolving else { return [] }
        addressCount = count
        guard count > 0 else {
            phase = .failed
            return [.fail]
        }
        phase = .connecting
        return startNext()
    }

    mutating func staggerElapsed() -> [Action] {
        guard phase == .connecting, staggerArmed else { return [] }
        staggerArmed = false
        return startNext()
    }

    mutating func attemptFailed(_ index: Int) -> [Action] {
        guard phase == .connecting, let position = inFlight.firstIndex(of: index) else { return [] }
        inFlight.remove(at: position)
        var actions: [Action] = []
        if staggerArmed {
            staggerArmed = false
            actions.append(.disarmStagger)
        }
        if nextIndex < addressCount {
            actions += startNext()
        } else if inFlight.isEmpty {
            phase = .failed
            actions.append(.fail)
        }
        return actions
    }

    mutating func attemptSucceeded(_ index: Int) -> [Action] {
        guard phase == .connecting, inFlight.contains(index) else { return [] }
        phase = .succeeded(index)
        return finish(keeping: index) + [.succeed(index)]
    }

    mutating func timedOut() -> [Action] {
        switch phase {
        case .resolving:
            phase = .failed
            return [.fail]
        case .connecting:
            phase = .failed
            return finish(keeping: nil) + [.fail]
        case .succeeded, .failed:
            return []
        }
    }

    private mutating func startNext() -> [Action] {
        let index = nextIndex
        nextIndex += 1
        inFlight.append(index)
        var actions: [Action] = [.startAttempt(index)]
        if nextIndex < addressCount {
            staggerArmed = true
            actions.append(.armStagger)
        }
        return actions
    }

    private mutating func finish(keeping winner: Int?) -> [Action] {
        var actions: [Action] = []
        if staggerArmed {
            staggerArmed = false
            actions.append(.disarmStagger)
        }
        for index in inFlight where index != winner { actions.append(.closeAttempt(index)) }
        inFlight = []
        return actions
    }
}
