/// What went wrong, as a stable enumeration with a stable legacy number.
///
/// Network errors keep the Winsock numbers that code ported from the `Inet*` C API already tests
/// (10061 refused, 10060 timed out, …). Inet's own errors use `0x8004_01xx` (the HRESULT-style
/// `FACILITY_ITF` space of the original), whose low 16 bits differ from every Winsock number and
/// from each other, so the high word of a legacy `lParam` still tells them apart.
public enum InetErrorCode: Sendable, Hashable, CaseIterable {
    // Network errors (Winsock numbers).
    case permissionDenied            // 10013
    case invalidArgument             // 10022
    case tooManyOpenFiles            // 10024
    case wouldBlock                  // 10035
    case inProgress                  // 10036
    case messageTooLong              // 10040
    case addressFamilyNotSupported   // 10047
    case addressInUse                // 10048
    case addressNotAvailable         // 10049
    case networkDown                 // 10050
    case networkUnreachable          // 10051
    case connectionAborted           // 10053
    case connectionReset             // 10054
    case noBufferSpace               // 10055
    case notConnected                // 10057
    case alreadyShutdown             // 10058
    case timedOut                    // 10060
    case connectionRefused           // 10061
    case hostUnreachable             // 10065
    case hostNotFound                // 11001
    case tryAgain                    // 11002
    case noRecovery                  // 11003
    // Inet's own errors.
    case invalidHostName
    case invalidPort
    case invalidOptions
    case invalidAddress
    case invalidTimeout
    case invalidParameter
    case notHandleOwner
    case invalidHandle
    case wouldDeadlock
    case cancelled
    case eventLoopShutdown
    case connectionClosed
    case systemError
    // TLS.
    case tlsHandshakeFailed
    case certificateUntrusted
    case certificateNameMismatch
    case certificateExpired
    case tlsProtocolVersion
    case credentialsNotFound
    case credentialsInvalid
    case certificateNotFound
    case certificatePinMismatch
    case credentialsWrongPassword
    case credentialsKeyMismatch
    case tlsTruncated
    case certificateRevoked

    /// The number legacy callers compare against (`InetGetLastError`, the high word of `lParam`).
    public var legacyCode: UInt32 {
        switch self {
        case .permissionDenied: 10013
        case .invalidArgument: 10022
        case .tooManyOpenFiles: 10024
        case .wouldBlock: 10035
        case .inProgress: 10036
        case .messageTooLong: 10040
        case .addressFamilyNotSupported: 10047
        case .addressInUse: 10048
        case .addressNotAvailable: 10049
        case .networkDown: 10050
        case .networkUnreachable: 10051
        case .connectionAborted: 10053
        case .connectionReset: 10054
        case .noBufferSpace: 10055
        case .notConnected: 10057
        case .alreadyShutdown: 10058
        case .timedOut: 10060
        case .connectionRefused: 10061
        case .hostUnreachable: 10065
        case .hostNotFound: 11001
        case .tryAgain: 11002
        case .noRecovery: 11003
        case .invalidHostName: 0x8004_0101
        case .invalidPort: 0x8004_0102
        case .invalidOptions: 0x8004_0103
        case .invalidAddress: 0x8004_0104
        case .invalidTimeout: 0x8004_0105
        case .invalidParameter: 0x8004_0106
        case .notHandleOwner: 0x8004_0107
        case .invalidHandle: 0x8004_0108
        case .wouldDeadlock: 0x8004_0109
        case .cancelled: 0x8004_010A
        case .eventLoopShutdown: 0x8004_010B
        case .connectionClosed: 0x8004_010C
        case .systemError: 0x8004_010D
        case .tlsHandshakeFailed: 0x8004_0120
        case .certificateUntrusted: 0x8004_0121
        case .certificateNameMismatch: 0x8004_0122
        case .certificateExpired: 0x8004_0123
        case .tlsProtocolVersion: 0x8004_0124
        case .credentialsNotFound: 0x8004_0125
        case .credentialsInvalid: 0x8004_0126
        case .certificateNotFound: 0x8004_0127
        case .certificatePinMismatch: 0x8004_0128
        case .credentialsWrongPassword: 0x8004_0129
        case .credentialsKeyMismatch: 0x8004_012A
        case .tlsTruncated: 0x8004_012B
        case .certificateRevoked: 0x8004_012C
        }
    }

    /// The code with this legacy number, if any.
    public init?(legacyCode: UInt32) {
        guard let code = Self.allCases.first(where: { $0.legacyCode == legacyCode }) else { return nil }
        self = code
    }

    /// A short, stable description of the code alone.
    public var summary: String {
        switch self {
        case .permissionDenied: "permission denied"
        case .invalidArgument: "invalid argument"
        case .tooManyOpenFiles: "too many open files"
        case .wouldBlock: "operation would block"
        case .inProgress: "operation in progress"
        case .messageTooLong: "message too long for a datagram"
        case .addressFamilyNotSupported: "address family not supported"
        case .addressInUse: "address already in use"
        case .addressNotAvailable: "address not available on this machine"
        case .networkDown: "network is down"
        case .networkUnreachable: "network unreachable"
        case .connectionAborted: "connection aborted"
        case .connectionReset: "connection reset by peer"
        case .noBufferSpace: "no buffer space available"
        case .notConnected: "not connected"
        case .alreadyShutdown: "cannot send after shutdown"
        case .timedOut: "timed out"
        case .connectionRefused: "connection refused"
        case .hostUnreachable: "host unreachable"
        case .hostNotFound: "host not found"
        case .tryAgain: "name resolution failed temporarily"
        case .noRecovery: "name resolution failed permanently"
        case .invalidHostName: "invalid host name"
        case .invalidPort: "invalid port"
        case .invalidOptions: "invalid option combination"
        case .invalidAddress: "invalid address"
        case .invalidTimeout: "invalid timeout"
        case .invalidParameter: "invalid parameter"
        case .notHandleOwner: "handle not owned by the current thread"
        case .invalidHandle: "invalid handle"
        case .wouldDeadlock: "blocking call on an event loop thread would deadlock"
        case .cancelled: "operation cancelled"
        case .eventLoopShutdown: "event loop shut down"
        case .connectionClosed: "connection closed"
        case .systemError: "system error"
        case .tlsHandshakeFailed: "TLS handshake failed"
        case .certificateUntrusted: "certificate not trusted"
        case .certificateNameMismatch: "certificate name mismatch"
        case .certificateExpired: "certificate expired"
        case .tlsProtocolVersion: "TLS protocol version not accepted"
        case .credentialsNotFound: "credentials not found"
        case .credentialsInvalid: "credentials invalid"
        case .certificateNotFound: "certificate not found in store"
        case .certificatePinMismatch: "certificate public key matches no pin"
        case .credentialsWrongPassword: "wrong password for credentials"
        case .credentialsKeyMismatch: "private key does not match certificate"
        case .tlsTruncated: "TLS ended without close_notify: data may be truncated"
        case .certificateRevoked: "certificate revoked"
        }
    }
}
