/// What went wrong, as a stable enumeration with a stable legacy number.
///
/// Network errors keep the Winsock numbers that code ported from the `Inet*` C API already tests
/// (10061 refused, 10060 timed out, …). Inet's own errors use `0x8004_01xx` (the HRESULT-style
/// `FACILITY_ITF` space of the original), whose low 16 bits differ from every Winsock number and
/// from each other, so the high word of a legacy `lParam` still tells them apart.
public enum InetErrorCode: Sendable, Hashable, CaseIterable {
    // Network errors (Winsock numbers).
    /// Not allowed: a port below 1024 without the capability, a Unix socket file without
    /// permission, broadcast without `.broadcast` (`WSAEACCES`, 10013).
    case permissionDenied
    /// The system refused an argument (`EINVAL`; `WSAEINVAL`, 10022).
    case invalidArgument
    /// The process or system is out of descriptors (`EMFILE`/`ENFILE`; `WSAEMFILE`, 10024).
    case tooManyOpenFiles
    /// A call that never waits had nothing to do now (`EAGAIN`; `WSAEWOULDBLOCK`, 10035): try again
    /// on the next event.
    case wouldBlock
    /// An operation is still in progress (`EINPROGRESS`; `WSAEINPROGRESS`, 10036).
    case inProgress
    /// A datagram over the limit (65,507 bytes, or the path MTU), or a frame over a reader's
    /// `maxBytes` (`EMSGSIZE`; `WSAEMSGSIZE`, 10040).
    case messageTooLong
    /// The address family cannot be used here: a host with no address of the local address's family
    /// (`EAFNOSUPPORT`; `WSAEAFNOSUPPORT`, 10047).
    case addressFamilyNotSupported
    /// The local address or port is taken, or a Unix socket path is a live listener's or another
    /// file (`EADDRINUSE`; `WSAEADDRINUSE`, 10048).
    case addressInUse
    /// The address is not on this machine, or no socket file exists at a Unix socket path
    /// (`EADDRNOTAVAIL`/`ENOENT`; `WSAEADDRNOTAVAIL`, 10049).
    case addressNotAvailable
    /// The network is down (`ENETDOWN`; `WSAENETDOWN`, 10050).
    case networkDown
    /// No route to the network (`ENETUNREACH`; `WSAENETUNREACH`, 10051).
    case networkUnreachable
    /// An established connection broke because the peer stopped answering: keep-alive probes
    /// (`.keepAlive`) or unacknowledged data (``Connector/userTimeout``) went unanswered
    /// (`ETIMEDOUT` on an open socket; `WSAENETRESET`, 10052). Not Inet's own read/write timeout,
    /// which is `timedOut`.
    case networkReset
    /// The connection was aborted, e.g. a send after the peer tore it down (`ECONNABORTED`/`EPIPE`;
    /// `WSAECONNABORTED`, 10053).
    case connectionAborted
    /// The peer reset the connection (`ECONNRESET`; `WSAECONNRESET`, 10054).
    case connectionReset
    /// The system is out of buffer space or memory (`ENOBUFS`/`ENOMEM`; `WSAENOBUFS`, 10055).
    case noBufferSpace
    /// The socket is not connected (`ENOTCONN`; `WSAENOTCONN`, 10057).
    case notConnected
    /// A write after this side shut its output down (`ESHUTDOWN`; `WSAESHUTDOWN`, 10058).
    case alreadyShutdown
    /// The operation's timeout passed: a connect (over resolution, every attempt and the
    /// handshake), a read, a write or an accept (`WSAETIMEDOUT`, 10060).
    case timedOut
    /// Nothing listens there: a TCP reset to the SYN, an ICMP port-unreachable for connected UDP, a
    /// stale Unix socket file (`ECONNREFUSED`; `WSAECONNREFUSED`, 10061).
    case connectionRefused
    /// No route to the host (`EHOSTUNREACH`; `WSAEHOSTUNREACH`, 10065).
    case hostUnreachable
    /// The name has no address (`EAI_NONAME`, `EAI_NODATA`; `WSAHOST_NOT_FOUND`, 11001).
    case hostNotFound
    /// Name resolution failed for now; a retry may work (`EAI_AGAIN`; `WSATRY_AGAIN`, 11002).
    case tryAgain
    /// Name resolution failed for good (`EAI_FAIL`; `WSANO_RECOVERY`, 11003).
    case noRecovery
    // Inet's own errors.
    /// The host is empty, too long, a URL, or has characters no host name may hold (Inet, `0x80040101`).
    case invalidHostName
    /// A port outside 1…65535 (0 without a default port), or a local port outside 0…65535 (Inet,
    /// `0x80040102`).
    case invalidPort
    /// Options that do not go together or do not apply: `.secure` with UDP, unknown bits, IP
    /// options on a Unix socket (Inet, `0x80040103`).
    case invalidOptions
    /// A local address that is no IP literal, or a Unix socket path that is empty, too long or
    /// holds a NUL (Inet, `0x80040104`).
    case invalidAddress
    /// A timeout that is zero, negative or over 24 days (Inet, `0x80040105`).
    case invalidTimeout
    /// Any other bad argument: a zero-length read buffer, a bad message number, a negative count
    /// (Inet, `0x80040106`).
    case invalidParameter
    /// A legacy handle used from a thread that does not own it (Inet, `0x80040107`); see `Inet.attachThread`.
    case notHandleOwner
    /// A legacy handle that is not open (closed, never made) (Inet, `0x80040108`).
    case invalidHandle
    /// A blocking call on an event loop thread, which would wait for itself (Inet, `0x80040109`).
    case wouldDeadlock
    /// The caller cancelled: the task, `Inet.cancel`, or a connect cancelled mid-way (Inet, `0x8004010A`).
    case cancelled
    /// The event loop (group) was shut down before or during the operation (Inet, `0x8004010B`).
    case eventLoopShutdown
    /// The connection or listener was closed by this side, or the peer closed before a frame was
    /// complete (Inet, `0x8004010C`).
    case connectionClosed
    /// A system error with no closer code; `InetError/systemErrno` has the number (Inet, `0x8004010D`).
    case systemError
    // TLS.
    /// The TLS handshake failed for a reason other than those below (a protocol alert, a peer that
    /// is no TLS server) (Inet, `0x80040120`).
    case tlsHandshakeFailed
    /// The peer's certificate chain leads to no trusted root (Inet, `0x80040121`).
    case certificateUntrusted
    /// The certificate is not for the host name connected to (Inet, `0x80040122`).
    case certificateNameMismatch
    /// A certificate in the chain has expired or is not yet valid (Inet, `0x80040123`).
    case certificateExpired
    /// No TLS version both sides accept (e.g. a TLS 1.0 server without `.secureFallback`) (Inet,
    /// `0x80040124`).
    case tlsProtocolVersion
    /// A credentials file or directory does not exist (Inet, `0x80040125`).
    case credentialsNotFound
    /// Credentials that cannot be read: not PEM or PKCS#12, or damaged (Inet, `0x80040126`).
    case credentialsInvalid
    /// No certificate in the store matches the name asked for (Inet, `0x80040127`).
    case certificateNotFound
    /// The peer's public key matches none of the pins (Inet, `0x80040128`).
    case certificatePinMismatch
    /// The password does not open the key or PKCS#12 file (Inet, `0x80040129`).
    case credentialsWrongPassword
    /// The private key does not belong to the certificate (Inet, `0x8004012A`).
    case credentialsKeyMismatch
    /// The peer ended the TCP stream without TLS `close_notify`: the data may be cut short (Inet,
    /// `0x8004012B`).
    case tlsTruncated
    /// A certificate in the chain is revoked by a CRL given in the credentials (Inet, `0x8004012C`).
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
        case .networkReset: 10052
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
        case .networkReset: "connection broken: the peer stopped answering"
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
