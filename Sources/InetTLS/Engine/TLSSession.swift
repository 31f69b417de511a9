import COpenSSL

/// A resumable TLS session (an OpenSSL `SSL_SESSION`) from an earlier connection, to offer on
/// the next connect to the same server so it can skip the certificate exchange.
public final class TLSSession: @unchecked Sendable {
    // Safe: an SSL_SESSION is reference counted and not changed once the handshake that made it
    // has finished; OpenSSL lets several SSL objects use one session.
    let raw: OpaquePointer

    init(taking raw: OpaquePointer) { self.raw = raw }

    /// A session saved with ``der`` (by this or another process).
    public init(der: [UInt8]) throws(TLSError) {
        let parsed = DER.parse(der) { d2i_SSL_SESSION(nil, $0, $1) }
        guard let parsed else {
            throw TLSError(
                .invalidConfiguration, "the \(der.count) bytes are not a saved TLS session (DER SSL_SESSION)",
                openSSLReason: OpenSSLErrors.lastReason())
        }
        raw = parsed
    }

    /// The session in DER, to save and resume later. It holds the session's secret: whoever
    /// reads it can decrypt the traffic of resumed connections — store it like a private key.
    public var der: [UInt8] {
        let length = i2d_SSL_SESSION(raw, nil)
        guard length > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_SSL_SESSION(raw, &cursor)
        }
        return out
    }

    deinit { SSL_SESSION_free(raw) }
}

extension TLSEngine {
    /// Client: offers `session` for resumption (before the handshake). The server decides; a
    /// refused session only costs a full handshake.
    public func offer(_ session: TLSSession) {
        _ = SSL_set_session(ssl, session.raw)
    }

    /// Client: the session to resume next time — with TLS 1.3 the newest ticket the server sent
    /// (tickets arrive after the handshake, with the first data read) — or nil when there is none.
    public var resumableSession: TLSSession? {
        guard isHandshakeComplete, let session = SSL_get1_session(ssl) else { return nil }
        guard SSL_SESSION_is_resumable(session) == 1 else {
            SSL_SESSION_free(session)
            return nil
        }
        return TLSSession(taking: session)
    }

    /// True when the handshake resumed an earlier session.
    public var isResumed: Bool { SSL_session_reused(ssl) == 1 }
}
