/// Who waits for a connection's TLS handshake.
enum HandshakeOwner {
    /// A connect operation: it reports the connection (or the failure) to its caller.
    case connect(ConnectOperation)
    /// A listener's accept: the accepted connection is handed out once secure.
    case accept(AcceptedHandshake)
}

/// An accepted connection's server handshake, bounded by the listener's handshake timeout.
/// Invariant: touched only on the accepted connection's loop.
final class AcceptedHandshake {
    let completion: Completion<Connection>
    let ioTimeout: Duration?
    var timer: ScheduledTask?

    init(completion: Completion<Connection>, ioTimeout: Duration?) {
        self.completion = completion
        self.ioTimeout = ioTimeout
    }

    func finish(_ core: ConnectionCore, _ result: Result<Void, InetError>) {
        timer?.cancel()
        timer = nil
        switch result {
        case .success:
            completion.succeed(Connection(core: core, host: core.remoteAddress?.ipAddress ?? "", ioTimeout: ioTimeout))
        case .failure(let error):
            completion.fail(error)
        }
    }
}
