/// Output state of a connection.
enum OutputState {
    /// Writes are accepted.
    case open
    /// `shutdown(.output)` was asked: FIN goes out once the queue drains; writes are refused.
    case shutdownPending
    /// FIN sent.
    case shutDown
}

/// Life cycle of a connection's socket.
enum ConnectionPhase {
    /// A non-blocking connect is in flight for this attempt of a connect operation.
    case connecting(ConnectOperation, attempt: Int)
    /// TCP is connected and the TLS handshake runs; `owner` hears how it ends.
    case handshaking(HandshakeOwner)
    /// Connected; reads and writes flow.
    case open
    /// `close()` was asked: the socket closes once the write queue drains (or its deadline).
    case closing
    /// The descriptor is closed.
    case closed
}
