@testable import InetCore

/// The connection's state machine driven by random sequences of the inputs `ConnectionCore`
/// may send in each state (`connected` only while connecting and `beginHandshake` only when open
/// — the two that trap elsewhere — every other input in any state). Checked after each input:
/// `closed` keeps its first error and answers every input with its no-op; the peer's end is
/// reported once; FIN is sent once and never while the output is open; close_notify comes
/// before FIN or close when owed; a close from open drains; reads and writes are refused
/// exactly when the state says so.
enum ConnectionStateFuzz {
    static func name(_ state: ConnectionState) -> String {
        switch state {
        case .connecting: "connecting"
        case .handshaking: "handshaking"
        case .open: "open"
        case .closing: "closing"
        case .closed: "closed"
        }
    }

    static func run(_ input: inout FuzzInput) throws(FuzzFailure) {
        let plan: ConnectPlan
        do { plan = try ConnectPlan(Connector(host: "127.0.0.1", port: 1)) } catch {
            throw FuzzFailure("no plan: \(error)")
        }
        let operation = ConnectOperation(plan: plan, completion: .callback { _ in })
        let owner = HandshakeOwner.accept(AcceptedHandshake(completion: .callback { _ in }, ioTimeout: nil))
        var state: ConnectionState =
            input.bool() ? .connecting(operation, attempt: input.int(in: 0...3)) : .open(Flow())
        var peerReported = false
        var finSent = false
        var closedWith: InetErrorCode?? = nil  // .some(code) once closed
        var trace: [String] = []
        for _ in 0..<input.int(in: 1...64) {
            let before = name(state)
            let step = input.int(in: 0...9)
            trace.append("\(before):\(step)")
            switch step {
            case 0:
                if case .connecting = state {
                    try check(state.connected() != nil, "connected gave no attempt: \(trace)")
                    try check(name(state) == "open", "connected led to \(name(state)): \(trace)")
                }
            case 1:
                if case .open = state {
                    try check(state.beginHandshake(owner), "no handshake from open: \(trace)")
                }
            case 2:
                let told = state.handshakeSucceeded()
                try check((told != nil) == (before == "handshaking"), "handshakeSucceeded in \(before): \(trace)")
            case 3:
                let wasFinPending = state.flow?.output == .finPending
                switch state.requestShutdownOutput() {
                case .done: try check(finSent && before == "open", "shutdown done without FIN: \(trace)")
                case .wait: try check(wasFinPending, "shutdown waits with no FIN pending: \(trace)")
                case .begin: try check(before == "open" && !finSent, "shutdown began in \(before): \(trace)")
                case .refuse(let error): try check(before != "open", "open refused shutdown (\(error)): \(trace)")
                }
            case 4:
                let expected: ConnectionState.CloseStep =
                    switch before {
                    case "closed": .alreadyClosed
                    case "closing": .join
                    case "open": .drain
                    default: .closeNow
                    }
                let got = state.requestClose()
                try check(got == expected, "requestClose in \(before): \(got): \(trace)")
                if got == .drain { try check(name(state) == "closing", "drain left \(name(state)): \(trace)") }
            case 5:
                let owed = input.bool()
                let finPending = state.flow?.output == .finPending
                let drained = state.queueDrained(closeNotifyOwed: owed, writersWaiting: input.bool())
                if case .sendFIN = drained {
                    try check(!finSent && finPending && !owed, "FIN sent wrongly (owed \(owed)): \(trace)")
                    finSent = true
                }
                if drained == .close {
                    try check(before == "closing" && !owed, "closed with close_notify owed: \(trace)")
                }
                if before == "closed" { try check(drained == .nothing, "closed drained to \(drained): \(trace)") }
            case 6:
                state.endInput()
            case 7:
                let first = state.reportPeerEnd()
                if first {
                    try check(!peerReported, "the peer's end reported twice: \(trace)")
                    peerReported = true
                }
            case 8:
                let error: InetError? = input.bool() ? nil : InetError(.connectionReset, "reset by the fuzzer")
                let tellOwner = input.bool()
                let ending = state.close(error, readable: input.bool(), secure: input.bool(), tellOwner: tellOwner)
                try check((ending == nil) == (before == "closed"), "close in \(before) gave \(ending == nil): \(trace)")
                if let ending {
                    try check(
                        (ending.owner != nil) == (before == "handshaking" && tellOwner), "owner told wrongly: \(trace)")
                    closedWith = .some(error?.code)
                }
            default:
                let reading = input.bool()
                let refused = state.refusal(reading: reading) != nil
                let allowed = if case .open(let flow) = state { reading || flow.output == .open } else { false }
                try check(refused != allowed, "refusal(reading: \(reading)) \(refused) in \(before): \(trace)")
            }
            if let code = closedWith {
                guard case .closed(let error) = state else { throw FuzzFailure("left closed: \(trace)") }
                try check(error?.code == code, "closed changed its error to \(String(describing: error)): \(trace)")
            }
        }
    }
}
