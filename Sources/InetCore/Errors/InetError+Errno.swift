import CInetLinux
import Glibc

// The one place where system error numbers become Inet error codes.
extension InetErrorCode {
    /// The code for an `errno` value.
    public init(errno value: Int32) {
        switch value {
        case EAGAIN: self = .wouldBlock  // EWOULDBLOCK == EAGAIN on Linux
        case EINPROGRESS, EALREADY: self = .inProgress
        case EACCES, EPERM: self = .permissionDenied
        case EINVAL: self = .invalidArgument
        case EMFILE, ENFILE: self = .tooManyOpenFiles
        case EMSGSIZE: self = .messageTooLong
        case EAFNOSUPPORT, EPFNOSUPPORT: self = .addressFamilyNotSupported
        case EADDRINUSE: self = .addressInUse
        case EADDRNOTAVAIL: self = .addressNotAvailable
        case ENETDOWN: self = .networkDown
        case ENETUNREACH: self = .networkUnreachable
        // EPIPE: a send on a connection the peer already tore down (writes after our own
        // shutdown(.output) are refused before the kernel sees them). Winsock reports that as
        // WSAECONNABORTED, so ported code sees 10053, not the reset's 10054.
        case ECONNABORTED, EPIPE: self = .connectionAborted
        case ECONNRESET: self = .connectionReset
        case ENOBUFS, ENOMEM: self = .noBufferSpace
        case ENOTCONN: self = .notConnected
        case ESHUTDOWN: self = .alreadyShutdown
        case ETIMEDOUT: self = .timedOut
        case ECONNREFUSED: self = .connectionRefused
        case EHOSTUNREACH, EHOSTDOWN: self = .hostUnreachable
        default: self = .systemError
        }
    }

    /// The code for a `getaddrinfo` result (`EAI_*`).
    init(addrinfoError value: Int32) {
        if value == CINET_EAI_NODATA || value == CINET_EAI_ADDRFAMILY {
            self = .hostNotFound
            return
        }
        switch value {
        case EAI_NONAME: self = .hostNotFound
        case EAI_AGAIN: self = .tryAgain
        case EAI_FAIL: self = .noRecovery
        case EAI_FAMILY: self = .addressFamilyNotSupported
        case EAI_MEMORY: self = .noBufferSpace
        default: self = .hostNotFound
        }
    }
}

extension InetError {
    /// An error for a failed system call: `what` names the call and its subject.
    static func system(_ what: String, errno value: Int32, host: String? = nil) -> InetError {
        let code = InetErrorCode(errno: value)
        let reason = String(cString: strerror(value))
        return InetError(code, "\(what): \(reason) (errno \(value))", errno: value, host: host)
    }
}

extension InetError {
    /// An error for a failed send or receive on a connection (or its socket's pending error).
    /// `ETIMEDOUT` there is never Inet's own timeout: the kernel gave up on a silent peer —
    /// keep-alive probes or unacknowledged data went unanswered — so it is `networkReset`.
    static func connectionIO(_ what: String, errno value: Int32, host: String? = nil) -> InetError {
        guard value == ETIMEDOUT else { return .system(what, errno: value, host: host) }
        return InetError(
            .networkReset,
            "\(what): the peer stopped answering; the kernel gave up on the connection (keep-alive probes "
                + "or unacknowledged data went unanswered): \(String(cString: strerror(value))) (errno \(value))",
            errno: value, host: host)
    }

    /// `EMSGSIZE` on a connected datagram socket: a datagram was larger than the path allows —
    /// refused at once (larger than the link), or dropped by a router on the way that said so
    /// (ICMP "fragmentation needed" / "packet too big"), reported on the next call. `mtu`: the
    /// path MTU the kernel learned (0 when unknown).
    static func pathMTU(_ what: String, mtu: Int, host: String? = nil) -> InetError {
        let known = mtu > 0 ? "the path MTU is \(mtu) bytes" : "the path MTU is not known"
        return InetError(
            .messageTooLong,
            "\(what): a datagram was larger than the path MTU and was not delivered (\(known); a router "
                + "that cannot forward it says so by ICMP); the kernel fragments datagrams of that size from now "
                + "on, or send smaller ones: \(String(cString: strerror(EMSGSIZE))) (errno \(EMSGSIZE))",
            errno: EMSGSIZE, host: host)
    }

    /// An error for a failed `connect`/`bind` of a Unix domain socket address: the code and the
    /// words say what the path's state was (missing, not allowed, stale, busy).
    static func unixDomain(_ what: String, _ address: SocketAddress, errno value: Int32) -> InetError {
        let path = address.unixDomainSocketPath ?? ""
        let (code, why): (InetErrorCode, String)
        switch value {
        case ENOENT, ENOTDIR: (code, why) = (.addressNotAvailable, "there is no socket file at \(path)")
        case EACCES, EPERM: (code, why) = (.permissionDenied, "no permission for \(path) or a directory on its way")
        case ECONNREFUSED: (code, why) = (.connectionRefused, "nothing listens on \(path) (a stale socket file?)")
        case EAGAIN: (code, why) = (.connectionRefused, "the listener on \(path) has a full backlog")
        case EADDRINUSE: (code, why) = (.addressInUse, "\(path) exists already")
        case EPROTOTYPE: (code, why) = (.connectionRefused, "the socket at \(path) is not a stream socket")
        default: return .system("\(what) \(address)", errno: value, host: path)
        }
        let reason = String(cString: strerror(value))
        return InetError(code, "\(what) \(address): \(why): \(reason) (errno \(value))", errno: value, host: path)
    }
}
