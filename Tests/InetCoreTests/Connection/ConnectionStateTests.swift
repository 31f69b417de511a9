import Testing
@testable import InetCore

/// The connection's state value without sockets: which states carry a flow, how a flow changes,
/// and that changing the flow of a state that has none traps (debug builds).
@Suite struct ConnectionStateTests {
    @Test func onlyConnectedStatesCarryAFlow() {
        let flow = Flow()
        #expect(ConnectionState.open(flow).flow == flow)
        #expect(ConnectionState.closing(flow).flow == flow)
        #expect(ConnectionState.closed(nil).flow == nil)
        #expect(ConnectionState.closed(InetError(.connectionReset, "reset")).isClosed)
        #expect(!ConnectionState.open(flow).isClosed)
    }

    @Test func updatingTheFlowKeepsTheState() {
        var state = ConnectionState.open(Flow())
        state.updateFlow { $0.output = .finPending }
        state.updateFlow { $0.input = .ended }
        guard case .open(let flow) = state else {
            Issue.record("left open: \(state)")
            return
        }
        #expect(flow.output == .finPending && flow.input == .ended)
        var closing = ConnectionState.closing(Flow())
        closing.updateFlow { $0.output = .finSent }
        guard case .closing(let after) = closing else {
            Issue.record("left closing: \(closing)")
            return
        }
        #expect(after.output == .finSent)
        var closed = ConnectionState.closed(nil)
        closed.updateFlow(required: false) { $0.input = .ended }  // readiness news after the close: ignored
        #expect(closed.flow == nil)
    }

    @Test func aRequiredFlowChangeOnAClosedSocketTraps() async {
        await #expect(processExitsWith: .failure) {
            var state = ConnectionState.closed(nil)
            state.updateFlow { $0.output = .finPending }
        }
    }
}
