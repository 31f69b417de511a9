import DequeModule
import InetCore

/// The clients an `asyncListen` handle accepted ahead, waiting for `Inet.accept` or
/// `Inet.asyncAccept`: one ACCEPT event is posted per client, and each accept takes one.
final class AcceptQueue: Sendable {
    private struct State {
        var waiting: Deque<Connection> = []
        var closed = false
    }
    private let state = Locked(State())
    /// Posts the listening handle's events (ACCEPT).
    let forwarder: HandleForwarder

    init(forwarder: HandleForwarder) { self.forwarder = forwarder }

    /// A client was accepted (on its loop thread): queue it and post ACCEPT. After ``close()``
    /// it is closed at once.
    func accepted(_ connection: Connection) {
        let open = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            s.waiting.append(connection)
            return true
        }
        guard open else { return connection.closeOnLoop() }
        forwarder.post(.accept, nil)
    }

    /// Accepting failed (e.g. `EMFILE`): ACCEPT with the error; the listener goes on.
    func failed(_ error: InetError) { forwarder.post(.accept, error) }

    /// The next waiting client, if any.
    func next() -> Connection? { state.withLock { $0.waiting.popFirst() } }

    /// Closes the clients nobody accepted; later arrivals are closed too.
    func close() {
        let left = state.withLock { s -> Deque<Connection> in
            s.closed = true
            defer { s.waiting = [] }
            return s.waiting
        }
        for connection in left { connection.eventLoop.execute { connection.closeOnLoop() } }
    }
}
