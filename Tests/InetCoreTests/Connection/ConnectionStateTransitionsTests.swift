import Testing
@testable import InetCore

/// Every edge of the connection's state machine, driven without sockets (an operation that never
/// begins, an accept handshake nobody waits for): the state each input leads to, the action it
/// returns, and the inputs a state cannot take trap.
@Suite struct ConnectionStateTransitionsTests {
    typealias State = ConnectionState
    /// A connect operation that is never begun: only its identity matters here.
    static func operation() -> ConnectOperation {
        ConnectOperation(plan: try! ConnectPlan(Connector(host: "127.0.0.1", port: 1)), completion: .callback { _ in })
    }
    static func owner() -> HandshakeOwner {
        .accept(AcceptedHandshake(completion: .callback { _ in }, ioTimeout: nil))
    }
    /// The same handshake owner (identity of what it holds).
    static func same(_ lhs: HandshakeOwner?, _ rhs: HandshakeOwner) -> Bool {
        switch (lhs, rhs) {
        case (.accept(let a)?, .accept(let b)): a === b
        case (.connect(let a)?, .connect(let b)): a === b
        default: false
        }
    }
    static let readyFlow = Flow()
    static let reset = InetError(.connectionReset, "reset by peer")

    @Test func connectingBecomesOpenAndNamesTheAttempt() {
        let operation = Self.operation()
        var state = State.connecting(operation, attempt: 2)
        let tell = state.connected()
        #expect(tell?.operation === operation && tell?.attempt == 2)
        #expect(state.flow == Flow())
        #expect(state.refusal(reading: true) == nil && state.refusal(reading: false) == nil)
    }

    @Test func aHandshakeRunsFromOpenAndReturnsToIt() {
        let owner = Self.owner()
        var state = State.open(Self.readyFlow)
        let step1 = state.beginHandshake(owner)
        #expect(step1)
        guard case .handshaking(let held, Self.readyFlow) = state, Self.same(held, owner) else {
            Issue.record("\(state)")
            return
        }
        #expect(state.refusal(reading: true)?.code == .notConnected)
        let step2 = state.handshakeSucceeded()
        #expect(Self.same(step2, owner))
        guard case .open(Self.readyFlow) = state else {
            Issue.record("\(state)")
            return
        }
        let again = state.handshakeSucceeded()
        #expect(again == nil)  // no handshake runs: no owner, no change
        guard case .open = state else {
            Issue.record("\(state)")
            return
        }
    }

    @Test func shutdownOutputBeginsOnceThenWaitsThenIsDone() {
        var state = State.open(Self.readyFlow)
        let step3 = state.requestShutdownOutput()
        #expect(step3 == .begin)
        #expect(state.flow?.output == .finPending)
        #expect(state.refusal(reading: false)?.code == .alreadyShutdown)
        #expect(state.refusal(reading: true) == nil)  // reading goes on after a half-close
        let step4 = state.requestShutdownOutput()
        #expect(step4 == .wait)
        let step5 = state.queueDrained(closeNotifyOwed: false, writersWaiting: false)
        #expect(step5 == .sendFIN(thenClose: false))
        #expect(state.flow?.output == .finSent)
        let step6 = state.requestShutdownOutput()
        #expect(step6 == .done)
        let step7 = state.queueDrained(closeNotifyOwed: false, writersWaiting: false)
        #expect(step7 == .nothing)
    }

    @Test func shutdownOutputIsRefusedWhenNotOpen() {
        var connecting = State.connecting(Self.operation(), attempt: 0)
        let step8 = connecting.requestShutdownOutput()
        #expect(step8 == .refuse(InetError(.connectionClosed, "connection closed")))
        var closed = State.closed(Self.reset)
        let step9 = closed.requestShutdownOutput()
        #expect(step9 == .refuse(Self.reset))
        var closing = State.closing(Self.readyFlow)
        guard case .refuse = closing.requestShutdownOutput() else {
            Issue.record("closing took a shutdown")
            return
        }
    }

    @Test func secureConnectionsSayCloseNotifyBeforeFINAndClose() {
        var half = State.open(Self.readyFlow)
        _ = half.requestShutdownOutput()
        let step10 = half.queueDrained(closeNotifyOwed: true, writersWaiting: false)
        #expect(step10 == .sayCloseNotify)
        #expect(half.flow?.output == .finPending)  // nothing changes until it is said
        let step11 = half.queueDrained(closeNotifyOwed: false, writersWaiting: false)
        #expect(step11 == .sendFIN(thenClose: false))

        var closing = State.open(Self.readyFlow)
        let step12 = closing.requestClose()
        #expect(step12 == .drain)
        let step13 = closing.queueDrained(closeNotifyOwed: true, writersWaiting: false)
        #expect(step13 == .sayCloseNotify)
        let step14 = closing.queueDrained(closeNotifyOwed: false, writersWaiting: false)
        #expect(step14 == .close)
        // An open connection owes nothing on an empty queue.
        var open = State.open(Self.readyFlow)
        let step15 = open.queueDrained(closeNotifyOwed: true, writersWaiting: false)
        #expect(step15 == .nothing)
    }

    @Test func closeDrainsJoinsAndWaitsForWriters() {
        var state = State.open(Self.readyFlow)
        let step16 = state.requestClose()
        #expect(step16 == .drain)
        guard case .closing = state else {
            Issue.record("\(state)")
            return
        }
        #expect(state.refusal(reading: true)?.code == .connectionClosed)
        let step17 = state.requestClose()
        #expect(step17 == .join)
        let step18 = state.queueDrained(closeNotifyOwed: false, writersWaiting: true)
        #expect(step18 == .nothing)
        let step19 = state.queueDrained(closeNotifyOwed: false, writersWaiting: false)
        #expect(step19 == .close)
        // A half-closed socket that is closing sends FIN, then closes.
        var both = State.open(Self.readyFlow)
        _ = both.requestShutdownOutput()
        _ = both.requestClose()
        let step20 = both.queueDrained(closeNotifyOwed: false, writersWaiting: false)
        #expect(step20 == .sendFIN(thenClose: true))
    }

    @Test func closeBeforeOpenIsImmediate() {
        var connecting = State.connecting(Self.operation(), attempt: 0)
        let step21 = connecting.requestClose()
        #expect(step21 == .closeNow)
        var handshaking = State.handshaking(Self.owner(), Self.readyFlow)
        let step22 = handshaking.requestClose()
        #expect(step22 == .closeNow)
        var closed = State.closed(nil)
        let step23 = closed.requestClose()
        #expect(step23 == .alreadyClosed)
    }

    @Test func closedHasNoOutgoingEdgeAndKeepsTheFirstError() {
        var state = State.open(Flow())
        let ending = state.close(Self.reset, readable: true, secure: false)
        #expect(ending?.owner == nil && ending?.mayHaveInput == true)
        #expect(state.close(nil, readable: false, secure: false) == nil)  // a second ending changes nothing
        #expect(state.refusal(reading: true) == Self.reset && state.refusal(reading: false) == Self.reset)
        let step24 = state.queueDrained(closeNotifyOwed: true, writersWaiting: false)
        #expect(step24 == .nothing)
        let step25 = state.reportPeerEnd()
        #expect(!step25)
        state.endInput()  // readiness news after the close: ignored
        guard case .closed(Self.reset) = state else {
            Issue.record("\(state)")
            return
        }
        let clean = State.closed(nil)
        #expect(clean.refusal(reading: true)?.code == .connectionClosed)
    }

    @Test func closingAHandshakeTellsItsOwnerUnlessTheOwnerCloses() {
        let owner = Self.owner()
        var told = State.handshaking(owner, Self.readyFlow)
        let step26 = told.close(Self.reset, readable: false, secure: true)
        #expect(Self.same(step26?.owner, owner))
        var quiet = State.handshaking(Self.owner(), Self.readyFlow)
        let ending = quiet.close(nil, readable: false, secure: true, tellOwner: false)
        #expect(ending?.owner == nil && ending?.mayHaveInput == true)
        var connecting = State.connecting(Self.operation(), attempt: 1)
        let step27 = connecting.close(nil, readable: false, secure: false)
        #expect(step27?.mayHaveInput == false)
        var secure = State.open(Self.readyFlow)  // not readable, but TLS may hold input
        let step28 = secure.close(nil, readable: false, secure: true)
        #expect(step28?.mayHaveInput == true)
        var plain = State.open(Self.readyFlow)
        let step29 = plain.close(nil, readable: false, secure: false)
        #expect(step29?.mayHaveInput == false)
    }

    @Test func thePeerEndIsReportedOnceAndInputEnds() {
        var state = State.open(Self.readyFlow)
        let step30 = state.reportPeerEnd()
        #expect(step30)
        let step31 = state.reportPeerEnd()
        #expect(!step31)
        state.endInput()
        #expect(state.flow?.input == .ended && state.flow?.peer == .reported)
        var connecting = State.connecting(Self.operation(), attempt: 0)
        let step32 = connecting.reportPeerEnd()
        #expect(!step32)
    }

    // Inputs a state cannot take: a debug build traps (release: no effect).
    @Test func connectedWhenNotConnectingTraps() async {
        await #expect(processExitsWith: .failure) {
            var state = State.open(Flow())
            _ = state.connected()
        }
    }

    @Test func aHandshakeOnAClosedSocketTraps() async {
        await #expect(processExitsWith: .failure) {
            var state = State.closed(nil)
            _ = state.beginHandshake(Self.owner())
        }
    }

    @Test func aHandshakeWhileConnectingTraps() async {
        await #expect(processExitsWith: .failure) {
            var state = State.connecting(Self.operation(), attempt: 0)
            _ = state.beginHandshake(Self.owner())
        }
    }
}
