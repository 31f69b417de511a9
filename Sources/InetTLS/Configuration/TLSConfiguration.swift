/// How a TLS context behaves: role, versions, verification, identity and trust.
public struct TLSConfiguration: Sendable, Hashable {
    /// Which side of the handshake.
    public enum Role: Sendable, Hashable {
        /// Connects to a server.
        case client
        /// Accepts clients.
        case server
    }

    /// Client or server.
    public var role: Role
    /// Verify the peer (client: always by default; `false` is `.trustedSite`). Servers verify
    /// clients only when ``requireClientCertificate`` is set.
    public var verifyPeer: Bool
    /// Allow TLS 1.0/1.1 and OpenSSL security level 0 (`.secureFallback`).
    public var legacyFallback: Bool
    /// Identity (certificate and key), versions, extra roots and pins.
    public var credentials: SecurityCredentials
    /// Server: ask for and verify a client certificate, failing the handshake without one.
    public var requireClientCertificate: Bool

    /// A configuration; clients verify by default.
    public init(role: Role, verifyPeer: Bool = true, legacyFallback: Bool = false,
                credentials: SecurityCredentials = SecurityCredentials(), requireClientCertificate: Bool = false) {
        self.role = role
        self.verifyPeer = verifyPeer
        self.legacyFallback = legacyFallback
        self.credentials = credentials
        self.requireClientCertificate = requireClientCertificate
    }

    /// The version range in force: credentials' range, else 1.2…1.3 (1.0…1.3 with fallback).
    public var versionRange: ClosedRange<TLSVersion> {
        let low = credentials.minimumVersion ?? (legacyFallback ? .v1_0 : .v1_2)
        let high = credentials.maximumVersion ?? .v1_3
        return low...max(low, high)
    }
}
