import COpenSSL

/// How a context judges the peer: which roots it trusts, strictness, revocation, and whether a
/// server asks clients for certificates.
extension TLSContext {
    func configureVerification(_ configuration: TLSConfiguration) throws(TLSError) {
        let credentials = configuration.credentials
        switch configuration.role {
        case .client where configuration.verifyPeer:
            if credentials.trustRootsOnly {
                guard let roots = credentials.trustRootsFile else {
                    throw TLSError(
                        .invalidConfiguration,
                        "trustRootsOnly needs trustRootsFile: the roots to trust instead of the system store")
                }
                try loadRoots(roots)
            } else {
                guard SystemTrustStore.trust(in: context) else {
                    throw TLSError(
                        .credentialsInvalid, "cannot read the system trust store",
                        openSSLReason: OpenSSLErrors.lastReason())
                }
                if let roots = credentials.trustRootsFile { try loadRoots(roots) }
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        case .server where configuration.asksForClientCertificate:
            // A server that asks for client certificates trusts exactly the roots it was given —
            // never the system store, whose every public CA could then vouch for a client — and
            // names them in its certificate request.
            guard let roots = credentials.trustRootsFile else {
                let flag =
                    configuration.requireClientCertificate ? "requireClientCertificate" : "requestClientCertificate"
                throw TLSError(
                    .credentialsInvalid,
                    "\(flag) needs trustRootsFile: the CA certificates that issue client certificates")
            }
            try loadRoots(roots)
            guard let names = SSL_load_client_CA_file(roots) else {
                throw TLSError(
                    .credentialsInvalid,
                    "trust roots file '\(roots)' holds no CA name to request client certificates with",
                    openSSLReason: OpenSSLErrors.lastReason())
            }
            SSL_CTX_set_client_CA_list(context, names)
            // Requested only: a client without a certificate is let in (unverified); one that
            // sends a certificate that does not verify is refused either way.
            let mode =
                configuration.requireClientCertificate
                ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER
            SSL_CTX_set_verify(context, mode, nil)
        case .client, .server:
            if credentials.trustRootsOnly || credentials.crlFile != nil || credentials.strictVerification {
                let side =
                    configuration.role == .client
                    ? "a client with .trustedSite" : "a server that asks for no client certificate"
                throw TLSError(
                    .invalidConfiguration,
                    "trustRootsOnly, crlFile and strictVerification judge peer certificates; "
                        + "\(side) judges none")
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
            return
        }
        let param = SSL_CTX_get0_param(context)
        if credentials.strictVerification { X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_X509_STRICT)) }
        if let crlFile = credentials.crlFile {
            try loadCRLs(crlFile)
            // The leaf's issuer must have a CRL in the file (CRL_CHECK, not CRL_CHECK_ALL: the
            // caller names the CRLs they have, usually the issuing CA's).
            X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_CRL_CHECK))
        }
    }

    /// Adds the PEM roots in `path` to the context's trust store.
    private func loadRoots(_ path: String) throws(TLSError) {
        _ = try CredentialLoader.readFile(path)  // not found / unreadable, with its own error
        guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
            throw TLSError(
                .credentialsInvalid, "trust roots file '\(path)' holds no usable certificate",
                openSSLReason: OpenSSLErrors.lastReason())
        }
    }

    /// Adds the PEM CRLs in `path` to the trust store.
    private func loadCRLs(_ path: String) throws(TLSError) {
        _ = try CredentialLoader.readFile(path)
        guard let store = SSL_CTX_get_cert_store(context),
            let lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file()),
            X509_load_crl_file(lookup, path, X509_FILETYPE_PEM) > 0
        else {
            throw TLSError(
                .credentialsInvalid, "CRL file '\(path)' holds no PEM certificate revocation list",
                openSSLReason: OpenSSLErrors.lastReason())
        }
    }
}
