import COpenSSL

/// A server identity chosen by the client's server name (SNI): the certificate, its key and
/// chain, ready for `SSL_use_cert_and_key`.
final class SNIIdentity {
    let identity: Identity
    /// The chain as an OpenSSL stack (its own references; OpenSSL copies it per use).
    let chain: OpaquePointer  // STACK_OF(X509)*

    init(_ identity: Identity) throws(TLSError) {
        guard let stack = cinet_sk_x509_new_null() else {
            throw TLSError(.credentialsInvalid, "cannot make an OpenSSL certificate stack")
        }
        for certificate in identity.chain {
            X509_up_ref(certificate)
            _ = cinet_sk_x509_push(stack, certificate)
        }
        self.identity = identity
        self.chain = stack
    }

    deinit { cinet_sk_x509_pop_free(chain) }

    /// True when the certificate names `host` in its subjectAltName (RFC 9525: no subject CN,
    /// whole-label wildcards only).
    func names(_ host: String) -> Bool {
        let flags = UInt32(X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS)
        return X509_check_host(identity.certificate, host, 0, flags, nil) == 1
    }

    /// Makes this the identity of `ssl`.
    func use(on ssl: OpaquePointer) -> Bool {
        SSL_use_cert_and_key(ssl, identity.certificate, identity.key, chain, 1) == 1
    }
}
