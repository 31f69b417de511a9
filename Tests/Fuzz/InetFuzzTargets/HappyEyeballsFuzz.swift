@testable import InetCore

/// The connect state machine driven as `ConnectOperation` drives it: only inputs the driver can
/// send in the current phase (a failure or success of an attempt in flight, the stagger when it
/// is armed, the handshake's end while securing, timeout and abort at any time, a resolution
/// after the connect already failed), chosen by the input. Each returned action is checked
/// against a model of the driver: attempts start in address order, only attempts in flight are
/// closed, the stagger is armed and disarmed in pairs, exactly one `succeed`/`fail` comes last
/// with every loser closed, and the failure is the one the inputs call for.
enum HappyEyeballsFuzz {
    struct Model {
        var secure: Bool
        var count = 0
        var next = 0
        var inFlight: Set<Int> = []
        var armed = false
        var securing: Int?
        var ended: HappyEyeballs.Action?
    }

    enum Input: CustomStringConvertible {
        case resolved(Int)
        case stagger
        case failed(Int)
        case succeeded(Int)
        case handshake(Bool)
        case timedOut
        case aborted
        var description: String {
            switch self {
            case .resolved(let n): "resolved(\(n))"
            case .stagger: "staggerElapsed"
            case .failed(let i): "attemptFailed(\(i))"
            case .succeeded(let i): "attemptSucceeded(\(i))"
            case .handshake(let ok): "handshakeEnded(\(ok))"
            case .timedOut: "timedOut"
            case .aborted: "aborted"
            }
        }
    }

    static func run(_ input: inout FuzzInput) throws(FuzzFailure) {
        var model = Model(secure: input.bool())
        var machine = HappyEyeballs(secure: model.secure)
        var resolved = false
        var trace: [String] = []
        for _ in 0..<512 {
            var legal: [Input] = []
            if model.ended == nil {
                if !resolved {
                    legal.append(.resolved(input.int(in: 0...70)))
                } else if model.securing != nil {
                    legal += [.handshake(true), .handshake(false)]
                } else {
                    if model.armed { legal.append(.stagger) }
                    for i in model.inFlight.sorted() { legal += [.failed(i), .succeeded(i)] }
                }
                legal += [.timedOut, .aborted]
            } else {
                legal.append(.aborted)  // a cancel racing the end: a no-op
                if case .fail = model.ended!, !resolved { legal.append(.resolved(input.int(in: 0...4))) }
            }
            if input.isEmpty && model.ended != nil { break }
            let chosen = input.pick(legal)
            trace.append(chosen.description)
            let actions: HappyEyeballs.Actions
            switch chosen {
            case .resolved(let n):
                actions = machine.resolved(count: n)
                if model.ended == nil { model.count = n }
                resolved = true
            case .stagger:
                model.armed = false  // the timer fired: it is no longer armed
                actions = machine.staggerElapsed()
            case .failed(let i):
                model.inFlight.remove(i)
                actions = machine.attemptFailed(i)
            case .succeeded(let i): actions = machine.attemptSucceeded(i)
            case .handshake(let ok): actions = machine.handshakeEnded(succeeded: ok)
            case .timedOut: actions = machine.timedOut()
            case .aborted: actions = machine.aborted()
            }
            try apply(actions, to: &model, after: chosen, trace)
            try check(machine.isFinished == (model.ended != nil), "finished \(machine.isFinished) after \(trace)")
            if model.ended != nil, input.isEmpty { break }
        }
    }

    static func apply(
        _ actions: HappyEyeballs.Actions, to model: inout Model, after input: Input, _ trace: [String]
    ) throws(FuzzFailure) {
        let wasEnded = model.ended != nil
        if wasEnded {
            try check(actions.isEmpty, "actions \(Array(actions)) after the end: \(trace)")
            return
        }
        let winner: Int? = if case .succeeded(let i) = input { i } else { nil }
        let securing = model.securing
        for (position, action) in actions.enumerated() {
            try check(model.ended == nil, "\(action) after the last action: \(trace)")
            switch action {
            case .startAttempt(let i):
                try check(i == model.next && i < model.count, "started \(i), expected \(model.next): \(trace)")
                model.inFlight.insert(i)
                model.next += 1
            case .armStagger:
                try check(!model.armed && model.next < model.count, "stagger armed wrongly: \(trace)")
                model.armed = true
            case .disarmStagger:
                try check(model.armed, "stagger disarmed while not armed: \(trace)")
                model.armed = false
            case .closeAttempt(let i):
                try check(
                    (model.inFlight.contains(i) || model.securing == i) && i != winner,
                    "closed \(i) not in flight: \(trace)")
                model.inFlight.remove(i)
                if model.securing == i { model.securing = nil }
            case .startHandshake(let i):
                try check(model.secure && i == winner, "handshake on \(i): \(trace)")
                try check(model.inFlight == [i], "losers left open at the handshake: \(trace)")
                model.securing = i
                model.inFlight = []
            case .succeed(let i):
                try check(position == actions.count - 1, "succeed is not last: \(trace)")
                try check(i == winner || model.securing == i, "succeeded with \(i): \(trace)")
                model.inFlight.remove(i)
                model.ended = action
            case .fail(let failure):
                try check(position == actions.count - 1, "fail is not last: \(trace)")
                let expected: HappyEyeballs.Failure? =
                    switch input {
                    case .timedOut: .timedOut(securing: securing)
                    case .aborted: .aborted
                    case .resolved(0): .noAddress
                    case .failed: .attemptsFailed
                    case .handshake(false): securing.map { .handshakeFailed($0) }
                    default: nil
                    }
                try check(
                    failure == expected, "failed with \(failure), expected \(String(describing: expected)): \(trace)")
                model.ended = action
            }
        }
        if let end = model.ended {
            try check(model.inFlight.isEmpty, "attempts \(model.inFlight.sorted()) left open at \(end): \(trace)")
            try check(!model.armed, "the stagger left armed at \(end): \(trace)")
        }
        // An attempt failing with addresses left starts the next at once.
        if case .failed = input, model.ended == nil, model.next < model.count {
            try check(
                actions.contains { if case .startAttempt = $0 { true } else { false } }, "no next attempt: \(trace)")
        }
        if model.ended == nil, resolvedAll(model) {
            try check(!model.inFlight.isEmpty || model.securing != nil, "nothing in flight and no end: \(trace)")
        }
    }

    static func resolvedAll(_ model: Model) -> Bool { model.count > 0 && model.next > 0 }
}
