public import InetTLS

extension InetError {
    /// The Inet error for a TLS failure, keeping OpenSSL's reason in the message.
    public init(_ tls: TLSError, host: String? = nil) {
        self.init(InetErrorCode(tls.kind), tls.description, host: host)
    }
}

extension InetErrorCode {
    /// The code for a TLS failure kind.
    public init(_ kind: TLSError.Kind) {
        switch kind {
        case .handshakeFailed: self = .tlsHandshakeFailed
        case .certificateUntrusted: self = .certificateUntrusted
        case .certificateNameMismatch: self = .certificateNameMismatch
        case .certificateExpired: self = .certificateExpired
        case .certificatePinMismatch: self = .certificatePinMismatch
        case .protocolVersion: self = .tlsProtocolVersion
        case .credentialsNotFound: self = .credentialsNotFound
        case .credentialsWrongPassword: self = .credentialsWrongPassword
        case .credentialsKeyMismatch: self = .credentialsKeyMismatch
        case .credentialsInvalid: self = .credentialsInvalid
        case .certificateNotFound: self = .certificateNotFound
        case .certificateRevoked: self = .certificateRevoked
        case .invalidConfiguration: self = .invalidParameter
        }
    }
}
