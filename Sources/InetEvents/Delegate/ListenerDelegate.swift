public import InetCore

/// Receives a TCP listener's accepted connections, each on that connection's loop thread (no
/// thread hop before its first event) — the server side of the event API.
public protocol ListenerDelegate: AnyObject, Sendable {
    /// A client connected (TLS listeners: its handshake succeeded). Return the delegate for the
    /// connection's events — the connection holds it until the connection is closed — or nil to
    /// close the connection at once. Its first event is `connectionDidConnect` with no error.
    func listener(_ listener: Listener, didAccept connection: EventConnection) -> (any ConnectionDelegate)?
    /// Accepting failed (for example the process ran out of descriptors, `EMFILE`); the listener
    /// keeps listening and tries again when the next client arrives.
    func listener(_ listener: Listener, didFailToAccept error: InetError)
}

extension ListenerDelegate {
    /// Does nothing.
    public func listener(_ listener: Listener, didFailToAccept error: InetError) {}
}

extension Listener {
    /// Starts accepting every incoming connection and handing each to `delegate` (held until
    /// the listener closes). Use either this or `accept(timeout:)`/`connections`, not both.
    public func acceptConnections(delegate: any ListenerDelegate) throws(InetError) {
        try acceptAll { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let connection):
                let handle = EventConnection.adopting(connection)
                guard let connectionDelegate = delegate.listener(self, didAccept: handle) else {
                    connection.closeOnLoop()
                    return handle.dispatcher.finish()
                }
                handle.start(delegate: connectionDelegate)
            case .failure(let error):
                delegate.listener(self, didFailToAccept: error)
            }
        }
    }
}
