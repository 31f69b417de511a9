import COpenSSL

/// Why TLS failed, as InetTLS reports it. `InetCore` maps each kind to its `InetErrorCode`.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Sendable, Hashable {
        /// The handshake failed for another reason (the message names OpenSSL's reason or the peer's alert).
        case handshakeFailed
        /// The peer's certificate chain does not lead to a trusted root.
        case certificateUntrusted
        /// The certificate does not name the host (or IP) connected to.
        case certificateNameMismatch
        /// The certificate has expired (or is not yet valid).
        case certificateExpired
        /// The peer's public key matches none of the SHA-256 SPKI pins.
        case certificatePinMismatch
        /// No TLS version both sides accept.
        case protocolVersion
        /// The certificate store (or key file) does not exist or cannot be read.
        case credentialsNotFound
        /// The password does not open the store or key.
        case credentialsWrongPassword
        /// The private key does not belong to the certificate.
        case credentialsKeyMismatch
        /// The store holds nothing usable (no certificate, no key, unparsable).
        case credentialsInvalid
        /// No certificate in the store has the requested name.
        case certificateNotFound
        /// The peer's certificate is revoked by a CRL of the caller's `crlFile`.
        case certificateRevoked
        /// A setting is not usable (an unknown cipher or group, a bad ALPN name, a setting for
        /// the other role); the message names it.
        case invalidConfiguration
    }

    /// The kind.
    public var kind: Kind
    /// What went wrong, naming the file, name or peer involved.
    public var message: String
    /// OpenSSL's reason string, when OpenSSL gave one.
    public var openSSLReason: String?

    /// Makes an error.
    public init(_ kind: Kind, _ message: String, openSSLReason: String? = nil) {
        self.kind = kind
        self.message = message
        self.openSSLReason = openSSLReason
    }

    /// The message, with OpenSSL's reason when it adds something.
    public var description: String {
        guard let openSSLReason, !message.contains(openSSLReason) else { return message }
        return "\(message) (OpenSSL: \(openSSLReason))"
    }
}

/// OpenSSL's thread-local error queue, read and cleared in one place.
enum OpenSSLErrors {
    /// The reason strings queued on this thread (oldest first), clearing the queue.
    static func drain() -> [String] {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return reasons
    }

    /// The last reason queued, clearing the queue.
    static func lastReason() -> String? { drain().last }
}
