import COpenSSL

/// Judging a certificate chain as this context's handshakes do, with or without a handshake:
/// the expected name's rules, and the error each verification failure becomes.
extension TLSContext {
    /// Makes `param` expect `serverName` (a host name or IP literal) by RFC 9525's rules: names
    /// from subjectAltName only (never the subject CN), a wildcard for a whole label
    /// (`*.example.test`, not `f*.example.test`). False when OpenSSL refuses the name.
    static func expect(_ serverName: String, in param: OpaquePointer?) -> Bool {
        X509_VERIFY_PARAM_set_hostflags(
            param, UInt32(X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
        let ok =
            TLSEngine.isIPLiteral(serverName)
            ? X509_VERIFY_PARAM_set1_ip_asc(param, serverName) : X509_VERIFY_PARAM_set1_host(param, serverName, 0)
        return ok == 1
    }

    /// The error an X.509 verification result becomes (`X509_V_ERR_*`).
    func verificationError(_ code: Int32, serverName: String?, reason: String?) -> TLSError {
        let text = String(cString: X509_verify_cert_error_string(Int(code)))
        let peer = serverName.map { " for \($0)" } ?? ""
        let crlFile = configuration.credentials.crlFile ?? ""
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID:
            return TLSError(
                .certificateExpired, "the peer's certificate\(peer) is not valid now: \(text)", openSSLReason: reason)
        case X509_V_ERR_CERT_REVOKED:
            return TLSError(
                .certificateRevoked, "the peer's certificate\(peer) is revoked by a CRL of '\(crlFile)'",
                openSSLReason: reason)
        case X509_V_ERR_UNABLE_TO_GET_CRL:
            return TLSError(
                .certificateUntrusted,
                "the peer's certificate\(peer) cannot be checked for revocation: "
                    + "'\(crlFile)' holds no CRL of its issuer", openSSLReason: reason)
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            return TLSError(
                .certificateNameMismatch, "the peer's certificate does not name \(serverName ?? "the host"): \(text)",
                openSSLReason: reason)
        default:
            return TLSError(
                .certificateUntrusted, "the peer's certificate\(peer) is not trusted: \(text)", openSSLReason: reason)
        }
    }

    /// Judges a server's certificate chain (DER; the leaf first, then intermediates in any
    /// order) as a handshake with this client context would: its roots, CRLs, strictness,
    /// security level and RFC 9525 name rules, at `time` (seconds since 1970; nil: now).
    /// Nil when the chain would be accepted, else the error the handshake would fail with.
    /// For checking certificates without a server (and for measuring against test suites).
    public func evaluateServerChain(_ chain: [[UInt8]], serverName: String?, at time: Int64? = nil) -> TLSError? {
        guard configuration.role == .client else {
            return TLSError(.invalidConfiguration, "evaluateServerChain needs a .client context")
        }
        var certificates: [OpaquePointer] = []
        defer { for c in certificates { X509_free(c) } }
        for der in chain {
            let parsed = DER.parse(der) { d2i_X509(nil, $0, $1) }
            guard let parsed else {
                return TLSError(
                    .certificateUntrusted, "certificate \(certificates.count + 1) of the chain is not DER X.509",
                    openSSLReason: OpenSSLErrors.lastReason())
            }
            certificates.append(parsed)
        }
        guard let leaf = certificates.first, let store = SSL_CTX_get_cert_store(context),
            let untrusted = cinet_sk_x509_new_null(), let verification = X509_STORE_CTX_new()
        else {
            return TLSError(.certificateUntrusted, "no certificate to judge")
        }
        defer {
            X509_STORE_CTX_free(verification)
            cinet_sk_x509_free(untrusted)  // the stack only; the certificates are freed above
        }
        for c in certificates.dropFirst() { _ = cinet_sk_x509_push(untrusted, c) }
        guard X509_STORE_CTX_init(verification, store, leaf, untrusted) == 1 else {
            return TLSError(
                .certificateUntrusted, "cannot set up verification", openSSLReason: OpenSSLErrors.lastReason())
        }
        // As libssl does for a client: the server-certificate purpose, then the context's parameters.
        _ = X509_STORE_CTX_set_default(verification, "ssl_server")
        let param = X509_STORE_CTX_get0_param(verification)
        _ = X509_VERIFY_PARAM_set1(param, SSL_CTX_get0_param(context))
        // libssl judges the chain's keys and signatures by the security level during the
        // handshake; the same rule here (fallback contexts already set level 2).
        if X509_VERIFY_PARAM_get_auth_level(param) < 0 {
            X509_VERIFY_PARAM_set_auth_level(param, SSL_CTX_get_security_level(context))
        }
        if let serverName, !Self.expect(serverName, in: param) {
            return TLSError(
                .certificateNameMismatch, "cannot expect '\(serverName)' as a name",
                openSSLReason: OpenSSLErrors.lastReason())
        }
        if let time { X509_VERIFY_PARAM_set_time(param, time_t(time)) }
        ERR_clear_error()
        if X509_verify_cert(verification) == 1 { return nil }
        let code = X509_STORE_CTX_get_error(verification)
        return verificationError(
            code == X509_V_OK ? X509_V_ERR_UNSPECIFIED : code, serverName: serverName,
            reason: OpenSSLErrors.lastReason())
    }
}
