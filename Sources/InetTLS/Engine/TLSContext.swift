import COpenSSL

/// A configured OpenSSL `SSL_CTX`: made once, shared by every connection that uses the same
/// configuration (certificates are loaded and trust stores read only here).
public final class TLSContext: @unchecked Sendable {
    // Safe: the SSL_CTX is fully configured in init and never changed after; OpenSSL allows
    // SSL_new on one SSL_CTX from many threads.
    let context: OpaquePointer
    /// The configuration it was made from.
    public let configuration: TLSConfiguration
    /// Decoded SHA-256 SPKI pins (empty: no pinning).
    let pins: [[UInt8]]

    /// TLS 1.2 suites when not in fallback: ECDHE key exchange with AEAD ciphers only.
    static let modernCiphers = "ECDHE+AESGCM:ECDHE+CHACHA20"
    /// TLS 1.0–1.2 suites with `.secureFallback`: forward secret only (ECDHE, DHE), CBC allowed
    /// for old servers, no RC4, 3DES, NULL or anonymous suites.
    static let fallbackCiphers = "ECDHE:DHE:!aNULL:!eNULL:!RC4:!3DES:!PSK:!SRP:@SECLEVEL=0"
    /// How certificates are judged, fallback or not (OpenSSL's default level: RSA/DH ≥ 2048
    /// bits, ECC ≥ 224, no SHA-1 signatures).
    static let certificateSecurityLevel: Int32 = 2

    /// Builds the context; credential and trust-store problems surface here, each with its kind.
    public init(_ configuration: TLSConfiguration) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_method()) else {
            throw TLSError(.handshakeFailed, "cannot create an OpenSSL context", openSSLReason: OpenSSLErrors.lastReason())
        }
        self.context = ctx
        self.configuration = configuration
        var pins: [[UInt8]] = []
        for pin in configuration.credentials.pinnedKeys {
            guard let bytes = Base64.decode(pin), bytes.count == 32 else {
                SSL_CTX_free(ctx)
                throw TLSError(.credentialsInvalid, "pin '\(pin)' is not a base64 SHA-256 hash (32 bytes)")
            }
            pins.append(bytes)
        }
        self.pins = pins
        // Every stored property is set, so a throw from here runs deinit, which frees the context.
        try configure()
    }

    deinit { SSL_CTX_free(context) }

    /// Adds the PEM roots in `path` to the context's trust store.
    private func loadRoots(_ path: String) throws(TLSError) {
        _ = try CredentialLoader.readFile(path)  // not found / unreadable, with its own error
        guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
            throw TLSError(.credentialsInvalid, "trust roots file '\(path)' holds no usable certificate",
                           openSSLReason: OpenSSLErrors.lastReason())
        }
    }

    private func configure() throws(TLSError) {
        let range = configuration.versionRange
        if range.lowerBound < .v1_2 && !configuration.legacyFallback {
            throw TLSError(.protocolVersion, "TLS \(range.lowerBound) needs secureFallback; the default minimum is TLS 1.2")
        }
        _ = cinet_ssl_ctx_set_min_proto(context, range.lowerBound.openSSLValue)
        _ = cinet_ssl_ctx_set_max_proto(context, range.upperBound.openSSLValue)
        if configuration.legacyFallback {
            // Fallback widens what may be *negotiated* (TLS 1.0/1.1, CBC-SHA1 suites at security
            // level 0) but not how certificates are judged: chain keys and signatures still meet
            // the default level 2 (RSA ≥ 2048, no SHA-1), and every suite is forward secret.
            SSL_CTX_set_security_level(context, 0)
            _ = SSL_CTX_set_cipher_list(context, Self.fallbackCiphers)
            X509_VERIFY_PARAM_set_auth_level(SSL_CTX_get0_param(context), Self.certificateSecurityLevel)
        } else {
            _ = SSL_CTX_set_cipher_list(context, Self.modernCiphers)
        }
        if configuration.role == .client {
            // A server-initiated renegotiation would run a second handshake after the pins and
            // the caller's checks of the first: refused.
            _ = SSL_CTX_set_options(context, CINET_SSL_OP_NO_RENEGOTIATION)
        }
        _ = OpenSSLErrors.drain()

        let credentials = configuration.credentials
        switch configuration.role {
        case .client where configuration.verifyPeer:
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw TLSError(.credentialsInvalid, "cannot read the system trust store", openSSLReason: OpenSSLErrors.lastReason())
            }
            if let roots = credentials.trustRootsFile { try loadRoots(roots) }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        case .server where configuration.requireClientCertificate:
            // A server that asks for client certificates trusts exactly the roots it was given —
            // never the system store, whose every public CA could then vouch for a client — and
            // names them in its certificate request.
            guard let roots = credentials.trustRootsFile else {
                throw TLSError(.credentialsInvalid,
                               "requireClientCertificate needs trustRootsFile: the CA certificates that issue client certificates")
            }
            try loadRoots(roots)
            guard let names = SSL_load_client_CA_file(roots) else {
                throw TLSError(.credentialsInvalid, "trust roots file '\(roots)' holds no CA name to request client certificates with",
                               openSSLReason: OpenSSLErrors.lastReason())
            }
            SSL_CTX_set_client_CA_list(context, names)
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        case .client, .server:
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }

        if let identity = try CredentialLoader.load(credentials) {
            guard SSL_CTX_use_certificate(context, identity.certificate) == 1,
                  SSL_CTX_use_PrivateKey(context, identity.key) == 1 else {
                throw TLSError(.credentialsInvalid, "OpenSSL refused the certificate or key", openSSLReason: OpenSSLErrors.lastReason())
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw TLSError(.credentialsKeyMismatch, "the private key does not match the certificate",
                               openSSLReason: OpenSSLErrors.lastReason())
            }
            for certificate in identity.chain { _ = cinet_ssl_ctx_add_chain_cert(context, certificate) }
        } else if configuration.role == .server {
            throw TLSError(.credentialsInvalid, "a TLS server needs a certificateStore with its certificate and key")
        }
        if configuration.role == .server {
            // No resumption yet, so no TLS 1.3 session tickets: unread tickets would also make
            // clients that close without reading reset the connection instead of closing it.
            _ = SSL_CTX_set_num_tickets(context, 0)
            let id: [UInt8] = Array("inet".utf8)
            _ = SSL_CTX_set_session_id_context(context, id, UInt32(id.count))
        }
        _ = OpenSSLErrors.drain()
    }
}

/// Base64 without Foundation (pins only).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(i + 3, bytes.count)])
            let n = (UInt32(chunk[0]) << 16) | (UInt32(chunk.count > 1 ? chunk[1] : 0) << 8) | UInt32(chunk.count > 2 ? chunk[2] : 0)
            out.append(alphabet[Int((n >> 18) & 63)])
            out.append(alphabet[Int((n >> 12) & 63)])
            out.append(chunk.count > 1 ? alphabet[Int((n >> 6) & 63)] : UInt8(ascii: "="))
            out.append(chunk.count > 2 ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: "=") {
            guard let index = alphabet.firstIndex(of: byte) else { return nil }
            values.append(UInt8(index))
        }
        var out: [UInt8] = []
        var i = 0
        while i + 1 < values.count {
            let a = UInt32(values[i]), b = UInt32(values[i + 1])
            let c = i + 2 < values.count ? UInt32(values[i + 2]) : 0, d = i + 3 < values.count ? UInt32(values[i + 3]) : 0
            let n = (a << 18) | (b << 12) | (c << 6) | d
            out.append(UInt8(n >> 16 & 255))
            if i + 2 < values.count { out.append(UInt8(n >> 8 & 255)) }
            if i + 3 < values.count { out.append(UInt8(n & 255)) }
            i += 4
        }
        return out
    }
}
