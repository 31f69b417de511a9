import COpenSSL
import Synchronization

/// A configured OpenSSL `SSL_CTX`: certificates loaded and trust stores read once, shared by
/// every connection made with it.
///
/// Make one and hand it to connectors (`Connector.tlsContext`) and listeners, or let them make
/// and cache one from a configuration. A context is fixed once made: to pick up a certificate
/// replaced on disk, make a new context (a listener swaps it in with `reloadTLS`); connections
/// keep the context they started with. A context keeps no password: keys are loaded in `init`.
public final class TLSContext: @unchecked Sendable {
    // Safe: the SSL_CTX is fully configured in init and never changed after (OpenSSL allows
    // SSL_new on one SSL_CTX from many threads); the ticket keys, the only state that changes,
    // sit behind their own lock; the rest is immutable.
    let context: OpaquePointer
    /// Unique in the process, never reused (client sessions are kept per context).
    package let serial: UInt64
    private static let serials = Atomic<UInt64>(1)
    /// The configuration it was made from, without passwords.
    public let configuration: TLSConfiguration
    /// Decoded SHA-256 SPKI pins (empty: no pinning).
    let pins: [[UInt8]]
    /// ALPN protocols in wire format (length-prefixed names), most preferred first. Memory of
    /// the context's own, freed in deinit: the server's selection hands OpenSSL a pointer into it.
    let alpnWire: UnsafeMutableBufferPointer<UInt8>
    /// Servers: the identities chosen by SNI (the default identity is the context's own).
    let sniIdentities: [SNIIdentity]
    /// Servers with tickets: the ticket keys.
    let ticketKeys: TicketKeyRing?

    /// TLS 1.2 suites when not in fallback: ECDHE key exchange with AEAD ciphers only.
    static let modernCiphers = "ECDHE+AESGCM:ECDHE+CHACHA20"
    /// TLS 1.0–1.2 suites with `.secureFallback`: forward secret only (ECDHE, DHE), CBC allowed
    /// for old servers, no RC4, 3DES, NULL or anonymous suites.
    static let fallbackCiphers = "ECDHE:DHE:!aNULL:!eNULL:!RC4:!3DES:!PSK:!SRP:@SECLEVEL=0"
    /// Key exchange groups unless configured: Mozilla's intermediate profile.
    public static let defaultGroups = ["X25519", "P-256", "P-384"]
    /// How certificates are judged, fallback or not (OpenSSL's default level: RSA/DH ≥ 2048
    /// bits, ECC ≥ 224, no SHA-1 signatures).
    static let certificateSecurityLevel: Int32 = 2

    /// Builds the context; credential, trust-store and setting problems surface here, each with
    /// its kind, naming the file or setting.
    public init(_ configuration: TLSConfiguration) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_method()) else {
            throw TLSError(
                .handshakeFailed, "cannot create an OpenSSL context", openSSLReason: OpenSSLErrors.lastReason())
        }
        var pins: [[UInt8]] = []
        var alpn: [UInt8] = []
        var identities: [SNIIdentity] = []
        do throws(TLSError) {
            for pin in configuration.credentials.pinnedKeys {
                guard let bytes = Base64.decode(pin), bytes.count == 32 else {
                    throw TLSError(.credentialsInvalid, "pin '\(pin)' is not a base64 SHA-256 hash (32 bytes)")
                }
                pins.append(bytes)
            }
            alpn = try Self.alpnWireFormat(configuration.credentials.applicationProtocols)
            if configuration.role == .server {
                for extra in configuration.additionalIdentities {
                    guard let identity = try CredentialLoader.load(extra) else {
                        throw TLSError(
                            .credentialsInvalid, "an additional identity needs a certificateStore (\(extra))")
                    }
                    identities.append(try SNIIdentity(identity))
                }
            } else if !configuration.additionalIdentities.isEmpty {
                throw TLSError(.invalidConfiguration, "additionalIdentities are for servers; a client has one identity")
            }
        } catch {
            SSL_CTX_free(ctx)
            throw error
        }
        self.context = ctx
        self.serial = Self.serials.wrappingAdd(1, ordering: .relaxed).oldValue
        self.configuration = configuration.withoutPasswords
        self.pins = pins
        self.alpnWire = .allocate(capacity: alpn.count)
        _ = alpnWire.initialize(from: alpn)
        self.sniIdentities = identities
        self.ticketKeys =
            configuration.role == .server && configuration.sessionTickets
            ? TicketKeyRing(lifetime: configuration.ticketKeyLifetime) : nil
        // Callbacks find the context through the SSL_CTX; connections keep the context alive.
        _ = cinet_ssl_ctx_set_app_data(ctx, Unmanaged.passUnretained(self).toOpaque())
        // Every stored property is set, so a throw from here runs deinit, which frees the context.
        try configure(configuration)
    }

    deinit {
        SSL_CTX_free(context)
        alpnWire.deallocate()
    }

    /// The context of an `SSL` (in OpenSSL callbacks).
    static func of(_ ssl: OpaquePointer?) -> TLSContext? {
        guard let ssl, let ctx = SSL_get_SSL_CTX(ssl), let raw = cinet_ssl_ctx_get_app_data(ctx) else { return nil }
        return Unmanaged<TLSContext>.fromOpaque(raw).takeUnretainedValue()
    }

    private func configure(_ configuration: TLSConfiguration) throws(TLSError) {
        try configureProtocol(configuration)
        try configureVerification(configuration)
        try configureIdentity(configuration.credentials)
        configureCallbacks(configuration)
        try TLSKeyLog.attachIfRequested(context)
        _ = OpenSSLErrors.drain()
    }

    /// Versions, suites, groups, renegotiation, preference, tickets.
    private func configureProtocol(_ configuration: TLSConfiguration) throws(TLSError) {
        let range = configuration.versionRange
        if range.lowerBound < .v1_2 && !configuration.legacyFallback {
            throw TLSError(
                .protocolVersion, "TLS \(range.lowerBound) needs secureFallback; the default minimum is TLS 1.2")
        }
        _ = cinet_ssl_ctx_set_min_proto(context, range.lowerBound.openSSLValue)
        _ = cinet_ssl_ctx_set_max_proto(context, range.upperBound.openSSLValue)
        let credentials = configuration.credentials
        if configuration.legacyFallback {
            // Fallback widens what may be *negotiated* (TLS 1.0/1.1, CBC-SHA1 suites at security
            // level 0) but not how certificates are judged: chain keys and signatures still meet
            // the default level 2 (RSA ≥ 2048, no SHA-1), and every suite is forward secret.
            SSL_CTX_set_security_level(context, 0)
            X509_VERIFY_PARAM_set_auth_level(SSL_CTX_get0_param(context), Self.certificateSecurityLevel)
        }
        let ciphers =
            credentials.cipherList ?? (configuration.legacyFallback ? Self.fallbackCiphers : Self.modernCiphers)
        guard SSL_CTX_set_cipher_list(context, ciphers) == 1 else {
            throw TLSError(
                .invalidConfiguration, "cipherList '\(ciphers)' selects no TLS 1.2 suite OpenSSL offers",
                openSSLReason: OpenSSLErrors.lastReason())
        }
        if let suites = credentials.cipherSuites, SSL_CTX_set_ciphersuites(context, suites) != 1 {
            throw TLSError(
                .invalidConfiguration, "cipherSuites '\(suites)' names no TLS 1.3 suite OpenSSL offers",
                openSSLReason: OpenSSLErrors.lastReason())
        }
        let groups = (credentials.groups ?? Self.defaultGroups).joined(separator: ":")
        guard !groups.isEmpty, cinet_ssl_ctx_set1_groups_list(context, groups) == 1 else {
            throw TLSError(
                .invalidConfiguration,
                "groups '\(groups)' are not key-exchange groups OpenSSL knows "
                    + "(X25519, X448, P-256, P-384, P-521, ffdhe2048, …)", openSSLReason: OpenSSLErrors.lastReason())
        }
        switch configuration.role {
        case .client:
            // A server-initiated renegotiation would run a second handshake after the pins and
            // the caller's checks of the first: refused.
            _ = SSL_CTX_set_options(context, CINET_SSL_OP_NO_RENEGOTIATION)
        case .server:
            if configuration.preferServerCiphers {
                _ = SSL_CTX_set_options(context, CINET_SSL_OP_CIPHER_SERVER_PREFERENCE)
            }
            if ticketKeys == nil {
                _ = SSL_CTX_set_num_tickets(context, 0)
                _ = SSL_CTX_set_options(context, CINET_SSL_OP_NO_TICKET)
            }
            // TLS 1.2 session-ID resumption (the server's session cache) needs an ID context.
            let id: [UInt8] = Array("inet".utf8)
            _ = SSL_CTX_set_session_id_context(context, id, UInt32(id.count))
        }
        _ = OpenSSLErrors.drain()
    }

    /// The context's own certificate and key (a server's default identity, a client's certificate).
    private func configureIdentity(_ credentials: SecurityCredentials) throws(TLSError) {
        if let identity = try CredentialLoader.load(credentials) {
            guard SSL_CTX_use_certificate(context, identity.certificate) == 1,
                SSL_CTX_use_PrivateKey(context, identity.key) == 1
            else {
                throw TLSError(
                    .credentialsInvalid, "OpenSSL refused the certificate or key",
                    openSSLReason: OpenSSLErrors.lastReason())
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw TLSError(
                    .credentialsKeyMismatch, "the private key does not match the certificate",
                    openSSLReason: OpenSSLErrors.lastReason())
            }
            for certificate in identity.chain { _ = cinet_ssl_ctx_add_chain_cert(context, certificate) }
        } else if configuration.role == .server {
            throw TLSError(.credentialsInvalid, "a TLS server needs a certificateStore with its certificate and key")
        }
    }

    /// ALPN names in wire format: each name's length byte, then the name.
    static func alpnWireFormat(_ names: [String]) throws(TLSError) -> [UInt8] {
        var wire: [UInt8] = []
        for name in names {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else {
                throw TLSError(
                    .invalidConfiguration, "ALPN protocol names are 1…255 bytes; got '\(name)' (\(bytes.count))")
            }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        return wire
    }
}

extension TLSConfiguration {
    /// The configuration with every password removed (what a context keeps).
    var withoutPasswords: TLSConfiguration {
        var copy = self
        copy.credentials.password = nil
        copy.additionalIdentities = additionalIdentities.map {
            var c = $0
            c.password = nil
            return c
        }
        return copy
    }
}
