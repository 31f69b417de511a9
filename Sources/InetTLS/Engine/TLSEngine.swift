import COpenSSL
import Glibc

/// One TLS session with no I/O of its own: ciphertext goes in with ``feed(_:)-([UInt8])`` and comes out with
/// ``takeOutput(into:)``; plaintext goes through ``write(_:)-([UInt8])`` and ``read(into:)``. The caller
/// (a socket's owner, or a test holding two engines) moves the bytes. Not thread-safe: one owner.
public final class TLSEngine {
    /// The outcome of a read.
    public enum ReadResult: Equatable, Sendable {
        /// This many plaintext bytes were written into the buffer.
        case bytes(Int)
        /// More ciphertext is needed first.
        case needsInput
        /// The peer sent close_notify: no more plaintext will come.
        case closed
    }

    let ssl: OpaquePointer
    private let input: OpaquePointer  // BIO*, owned by ssl
    private let output: OpaquePointer  // BIO*, owned by ssl
    private let context: TLSContext
    /// The host verified and sent as SNI (clients).
    public let serverName: String?
    /// True once the handshake (and pin check) succeeded.
    public private(set) var isHandshakeComplete = false

    /// A client engine for `serverName` (a host name or IP literal; names get SNI), or a server
    /// engine when the context's role is server.
    public init(context: TLSContext, serverName: String? = nil) throws(TLSError) {
        guard let ssl = SSL_new(context.context) else {
            throw TLSError(
                .handshakeFailed, "cannot create an OpenSSL session", openSSLReason: OpenSSLErrors.lastReason())
        }
        guard let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError(
                .handshakeFailed, "cannot create OpenSSL memory buffers", openSSLReason: OpenSSLErrors.lastReason())
        }
        SSL_set_bio(ssl, input, output)
        self.ssl = ssl
        self.input = input
        self.output = output
        self.context = context
        self.serverName = serverName
        switch context.configuration.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverName, !serverName.isEmpty {
                let isIP = Self.isIPLiteral(serverName)
                if !isIP { _ = cinet_ssl_set_sni(ssl, serverName) }
                if context.configuration.verifyPeer {
                    if !TLSContext.expect(serverName, in: SSL_get0_param(ssl)) {
                        // deinit frees `ssl`: every stored property is already set.
                        throw TLSError(
                            .handshakeFailed, "cannot set '\(serverName)' for verification",
                            openSSLReason: OpenSSLErrors.lastReason())
                    }
                }
            }
        }
    }

    deinit { SSL_free(ssl) }

    // MARK: ciphertext

    /// Hands ciphertext received from the peer to the engine (it keeps all of it).
    public func feed(_ ciphertext: UnsafeRawBufferPointer) {
        guard ciphertext.count > 0 else { return }
        _ = BIO_write(input, ciphertext.baseAddress, Int32(ciphertext.count))
    }

    /// Hands ciphertext received from the peer to the engine.
    public func feed(_ ciphertext: [UInt8]) { ciphertext.withUnsafeBytes { feed($0) } }

    /// True when plaintext (or unprocessed ciphertext) is buffered inside the engine.
    public var hasBufferedInput: Bool { SSL_pending(ssl) > 0 || BIO_ctrl_pending(input) > 0 }

    /// True when part of a record arrived and the rest did not (yet): an end of input now cuts
    /// the record.
    public var hasPartialRecord: Bool { SSL_has_pending(ssl) == 1 || BIO_ctrl_pending(input) > 0 }

    /// Bytes of ciphertext waiting to be sent.
    public var pendingOutput: Int { Int(BIO_ctrl_pending(output)) }

    /// Moves waiting ciphertext into `buffer`; returns how many bytes.
    public func takeOutput(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard buffer.count > 0, pendingOutput > 0 else { return 0 }
        return max(0, Int(BIO_read(output, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))))
    }

    /// All waiting ciphertext.
    public func takeOutput() -> [UInt8] {
        let count = pendingOutput
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = takeOutput(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    // MARK: handshake

    /// Advances the handshake with what was fed; true once complete. Send ``takeOutput()`` after
    /// every call, even a failing one (it may hold an alert for the peer).
    public func handshake() throws(TLSError) -> Bool {
        if isHandshakeComplete { return true }
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            try checkPins()
            isHandshakeComplete = true
            return true
        }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return false
        default: throw classifyFailure()
        }
    }

    private func checkPins() throws(TLSError) {
        guard !context.pins.isEmpty else { return }
        guard let certificate = SSL_get0_peer_certificate(ssl), let key = X509_get0_pubkey(certificate) else {
            throw TLSError(.certificatePinMismatch, "the peer sent no certificate to check against the pins")
        }
        let hash = Self.spkiSHA256(key)
        guard context.pins.contains(hash) else {
            throw TLSError(
                .certificatePinMismatch,
                "the peer's public key (SHA-256 \(Base64.encode(hash))) matches none of the \(context.pins.count) pin(s)"
            )
        }
    }

    /// Base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as pins are written.
    static func spkiSHA256(_ key: OpaquePointer) -> [UInt8] {
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(key, &der)
        defer { cinet_openssl_free(der) }
        var digest = [UInt8](repeating: 0, count: 32)
        var size: UInt32 = 32
        _ = EVP_Digest(der, Int(length), &digest, &size, EVP_sha256(), nil)
        return digest
    }

    /// Turns a failed handshake into the most specific error: certificate verification first,
    /// then version problems, then the peer's alert or OpenSSL's reason.
    private func classifyFailure() -> TLSError {
        let reasons = OpenSSLErrors.drain()
        let reason = reasons.last
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK {
            return context.verificationError(Int32(verify), serverName: serverName, reason: reason)
        }
        let versionHints = [
            "protocol version", "unsupported protocol", "no protocols available", "wrong version number",
            "version too low", "version too high", "no suitable", "unknown protocol",
        ]
        if let reason, versionHints.contains(where: { reason.contains($0) }) {
            return TLSError(
                .protocolVersion,
                "no TLS version both sides accept (\(reason)); allowed here: "
                    + "\(context.configuration.versionRange.lowerBound)–\(context.configuration.versionRange.upperBound)",
                openSSLReason: reason)
        }
        if let reason, reason.contains("no application protocol") {
            let ours = context.configuration.credentials.applicationProtocols
            return TLSError(
                .handshakeFailed,
                "no ALPN protocol both sides accept (\(reason)); offered here: "
                    + (ours.isEmpty ? "none" : ours.joined(separator: ", ")), openSSLReason: reason)
        }
        return TLSError(
            .handshakeFailed, "TLS handshake failed: \(reason ?? "the peer closed the connection")",
            openSSLReason: reason)
    }

    // MARK: plaintext

    /// Encrypts all of `plaintext` into the output (memory BIOs never refuse).
    public func write(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) {
        var offset = 0
        while offset < plaintext.count {
            var written = 0
            ERR_clear_error()
            let rc = SSL_write_ex(ssl, plaintext.baseAddress! + offset, plaintext.count - offset, &written)
            guard rc == 1 else {
                throw TLSError(.handshakeFailed, "TLS write failed", openSSLReason: OpenSSLErrors.lastReason())
            }
            offset += written
        }
    }

    /// Encrypts all of `plaintext`.
    public func write(_ plaintext: [UInt8]) throws(TLSError) {
        let result: Result<Void, TLSError> = plaintext.withUnsafeBytes { raw in
            do throws(TLSError) {
                try write(raw)
                return .success(())
            } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Decrypts into `buffer` what the fed ciphertext holds.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> ReadResult {
        var count = 0
        ERR_clear_error()
        if SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count) == 1 { return .bytes(count) }
        switch SSL_get_error(ssl, 0) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .needsInput
        case SSL_ERROR_ZERO_RETURN: return .closed
        default:
            throw TLSError(.handshakeFailed, "TLS record error: \(OpenSSLErrors.lastReason() ?? "unknown")")
        }
    }

    /// Copies decrypted bytes into `buffer` without consuming them (what fed ciphertext allows).
    public func peek(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var count = 0
        ERR_clear_error()
        let ok = SSL_peek_ex(ssl, buffer.baseAddress, buffer.count, &count) == 1
        _ = OpenSSLErrors.drain()
        return ok ? count : 0
    }

    /// True once close_notify was queued by ``close()`` (OpenSSL's own shutdown state).
    public var closeNotifySent: Bool { SSL_get_shutdown(ssl) & Int32(SSL_SENT_SHUTDOWN) != 0 }

    /// Queues close_notify for the peer (send ``takeOutput()`` afterwards).
    public func close() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        _ = OpenSSLErrors.drain()
    }

    // MARK: session facts

    /// `TLSv1.3` etc., once negotiated.
    public var negotiatedVersion: String { String(cString: SSL_get_version(ssl)) }
    /// The cipher suite name, once negotiated.
    public var cipherName: String { SSL_get_current_cipher(ssl).map { String(cString: SSL_CIPHER_get_name($0)) } ?? "" }
    /// The peer certificate's subject CN, if it sent one.
    public var peerCommonName: String? { SSL_get0_peer_certificate(ssl).flatMap(Identity.commonName) }
    /// True when the peer's certificate was verified (chain and name).
    public var peerVerified: Bool {
        let verifies =
            context.configuration.role == .client
            ? context.configuration.verifyPeer : context.configuration.asksForClientCertificate
        return verifies && SSL_get0_peer_certificate(ssl) != nil && SSL_get_verify_result(ssl) == X509_V_OK
    }

    /// The ALPN protocol both sides agreed on, if any.
    public var applicationProtocol: String? {
        var data: UnsafePointer<UInt8>? = nil
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    static func isIPLiteral(_ text: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }
}
