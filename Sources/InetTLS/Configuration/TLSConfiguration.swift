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
    /// Server: ask for a client certificate and verify one that is sent, but accept clients
    /// that send none (`TLSInfo`'s `peerVerified` tells them apart). Implied by
    /// ``requireClientCertificate``.
    public var requestClientCertificate: Bool
    /// Server: issue session tickets (TLS 1.3 and 1.2), so clients resume without a full
    /// handshake. The ticket keys are random, kept in memory only and rotated every
    /// ``ticketKeyLifetime``; a ticket stays valid for two lifetimes. `false`: no tickets.
    public var sessionTickets: Bool
    /// Server: how long one ticket key encrypts new tickets before a fresh one takes over.
    public var ticketKeyLifetime: Duration
    /// Server: choose the cipher suite by the server's order, not the client's.
    public var preferServerCiphers: Bool
    /// Server: more identities, chosen per connection by the name the client asks for (SNI):
    /// the first whose certificate names it (its subjectAltName, RFC 9525 rules). The identity
    /// in ``credentials`` is the default — for clients that send no name or a name none has.
    /// Only the identity fields (store, name, password, key file) of each are used.
    public var additionalIdentities: [SecurityCredentials]

    /// A configuration; clients verify by default.
    public init(
        role: Role, verifyPeer: Bool = true, legacyFallback: Bool = false,
        credentials: SecurityCredentials = SecurityCredentials(), requireClientCertificate: Bool = false,
        requestClientCertificate: Bool = false, sessionTickets: Bool = true,
        ticketKeyLifetime: Duration = .seconds(12 * 3600),
        preferServerCiphers: Bool = true, additionalIdentities: [SecurityCredentials] = []
    ) {
        self.role = role
        self.verifyPeer = verifyPeer
        self.legacyFallback = legacyFallback
        self.credentials = credentials
        self.requireClientCertificate = requireClientCertificate
        self.requestClientCertificate = requestClientCertificate
        self.sessionTickets = sessionTickets
        self.ticketKeyLifetime = ticketKeyLifetime
        self.preferServerCiphers = preferServerCiphers
        self.additionalIdentities = additionalIdentities
    }

    /// Server: the client certificate is asked for (required or requested).
    public var asksForClientCertificate: Bool { requireClientCertificate || requestClientCertificate }

    /// The version range in force: credentials' range, else 1.2…1.3 (1.0…1.3 with fallback).
    public var versionRange: ClosedRange<TLSVersion> {
        let low = credentials.minimumVersion ?? (legacyFallback ? .v1_0 : .v1_2)
        let high = credentials.maximumVersion ?? .v1_3
        return low...max(low, high)
    }
}
