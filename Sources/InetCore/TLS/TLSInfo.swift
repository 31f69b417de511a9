import InetTLS

/// What a TLS connection negotiated.
public struct TLSInfo: Sendable, Equatable {
    /// `TLSv1.3`, `TLSv1.2`, …
    public var version: String
    /// The cipher suite, OpenSSL's name.
    public var cipher: String
    /// The peer certificate's subject CN, if it sent a certificate.
    public var peerCommonName: String?
    /// True when the peer's certificate chain and name were verified.
    public var peerVerified: Bool
    /// True when the handshake resumed an earlier session (no certificate was exchanged; the
    /// session's certificate was verified when it was first made).
    public var resumed: Bool
    /// The ALPN protocol agreed on (`h2`, `http/1.1`), or nil when either side offered none.
    public var applicationProtocol: String?

    init(_ engine: TLSEngine) {
        version = engine.negotiatedVersion
        cipher = engine.cipherName
        peerCommonName = engine.peerCommonName
        peerVerified = engine.peerVerified
        resumed = engine.isResumed
        applicationProtocol = engine.applicationProtocol
    }
}
