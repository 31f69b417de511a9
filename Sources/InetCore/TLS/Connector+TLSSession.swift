public import InetTLS

/// Session resumption across processes: a client saves the session a connection ended with
/// and offers it again later (`inetcat --resume FILE`, like `s_client -sess_out`/`-sess_in`).
extension Connector {
    /// The session kept for this connector's next connect (its TLS context, host and port):
    /// set when a secure connection made with `sessionResumption` ends, or by
    /// ``storeTLSSession(_:)``; nil when there is none.
    public func resumableTLSSession() throws(InetError) -> TLSSession? {
        guard let key = try sessionKey() else { return nil }
        return TLSSessionCache.session(for: key)
    }

    /// Makes `session` the one the next connect of this connector offers (needs `.secure` and
    /// `sessionResumption`). The server decides: a session it does not take costs a full
    /// handshake, never a failure.
    public func storeTLSSession(_ session: TLSSession) throws(InetError) {
        guard let key = try sessionKey() else {
            throw InetError(
                .invalidParameter, "storeTLSSession needs a .secure connector with sessionResumption", host: host)
        }
        TLSSessionCache.store(session, for: key)
    }

    private func sessionKey() throws(InetError) -> TLSSessionCache.Key? {
        let plan = try ConnectPlan(self)
        guard let context = plan.tlsContext, context.configuration.credentials.sessionResumption else { return nil }
        return TLSSessionCache.Key(context: context.serial, host: plan.host, port: plan.port)
    }
}
