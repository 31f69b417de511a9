import COpenSSL

/// The OpenSSL callbacks a context installs: ALPN selection, SNI identity selection and session
/// ticket keys. Each finds its `TLSContext` through the `SSL`'s `SSL_CTX` (app data); they run
/// on whichever loop thread drives the handshake and touch only immutable state or the
/// ticket ring's lock.
extension TLSContext {
    func configureCallbacks(_ configuration: TLSConfiguration) {
        switch configuration.role {
        case .client:
            if !alpnWire.isEmpty { _ = SSL_CTX_set_alpn_protos(context, alpnWire.baseAddress, UInt32(alpnWire.count)) }
        case .server:
            if !alpnWire.isEmpty {
                SSL_CTX_set_alpn_select_cb(
                    context,
                    { ssl, out, outLength, offered, offeredLength, _ in
                        TLSContext.of(ssl)?.selectALPN(out, outLength, offered, offeredLength)
                            ?? SSL_TLSEXT_ERR_ALERT_FATAL
                    }, nil)
            }
            if !sniIdentities.isEmpty {
                SSL_CTX_set_cert_cb(
                    context,
                    { ssl, _ in
                        TLSContext.of(ssl)?.chooseIdentity(ssl) ?? 0
                    }, nil)
            }
            if ticketKeys != nil {
                _ = SSL_CTX_set_tlsext_ticket_key_evp_cb(
                    context,
                    { ssl, name, iv, cipher, mac, encrypt in
                        guard let ring = TLSContext.of(ssl)?.ticketKeys, let name, let iv, let cipher, let mac else {
                            return -1
                        }
                        return encrypt == 1
                            ? ring.encrypt(name: name, iv: iv, cipher, mac)
                            : ring.decrypt(name: name, iv: iv, cipher, mac)
                    })
            }
        }
    }

    /// The first of the server's protocols the client offered; a client that offered only
    /// others is refused with `no_application_protocol` (RFC 7301).
    private func selectALPN(
        _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ outLength: UnsafeMutablePointer<UInt8>?,
        _ offered: UnsafePointer<UInt8>?, _ offeredLength: UInt32
    ) -> Int32 {
        var selected: UnsafeMutablePointer<UInt8>? = nil
        var length: UInt8 = 0
        // Points into `alpnWire` (alive as long as the context) or into `offered`.
        guard
            SSL_select_next_proto(
                &selected, &length, alpnWire.baseAddress, UInt32(alpnWire.count), offered, offeredLength)
                == OPENSSL_NPN_NEGOTIATED, let selected
        else { return SSL_TLSEXT_ERR_ALERT_FATAL }
        out?.pointee = UnsafePointer(selected)
        outLength?.pointee = length
        return SSL_TLSEXT_ERR_OK
    }

    /// Picks the identity whose certificate names the client's server name; the context's own
    /// (the default) when it names it too, when none does, or when the client sent no name.
    private func chooseIdentity(_ ssl: OpaquePointer?) -> Int32 {
        guard let ssl, let raw = SSL_get_servername(ssl, Int32(TLSEXT_NAMETYPE_host_name)) else { return 1 }
        let host = String(cString: raw)
        let flags = UInt32(X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS)
        if let own = SSL_CTX_get0_certificate(context), X509_check_host(own, host, 0, flags, nil) == 1 { return 1 }
        guard let identity = sniIdentities.first(where: { $0.names(host) }) else { return 1 }
        return identity.use(on: ssl) ? 1 : 0
    }
}
