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

    init(_ engine: TLSEngine) {
        version = engine.negotiatedVersion
        cipher = engine.cipherName
        peerCommonName = engine.peerCommonName
        peerVerified = engine.peerVerified
    }
}
