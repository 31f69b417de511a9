import CInetLinux
import Glibc

/// What one non-blocking socket I/O call did.
enum IOResult: Equatable {
    /// This many bytes were read or sent (0 only for an empty datagram).
    case processed(Int)
    /// The socket had nothing (read) or no room (send): wait for readiness.
    case wouldBlock
    /// The peer closed its side of a stream (a read returned 0).
    case endOfStream
}

/// The one layer every socket syscall goes through.
///
/// Each call retries `EINTR` here and nowhere else, and answers with an ``IOResult`` (or a plain
/// value) or throws an ``InetError`` naming the call and its subject (`what`, built only when the
/// call fails). Under it, ``SyscallScript`` lets tests inject faults — partial writes, `EINTR`,
/// `EAGAIN`, `ECONNRESET`, `EMFILE`, short reads — at a cost of one relaxed load per call when
/// no script is installed.
enum Syscall {
    // MARK: stream and datagram I/O

    /// `read(2)`. On a stream, 0 bytes is ``IOResult/endOfStream``; on a datagram socket it is an
    /// empty datagram.
    @inline(__always)
    static func read(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, stream: Bool,
        _ what: @autoclosure () -> String, host: @autoclosure () -> String? = nil
    ) throws(InetError) -> IOResult {
        while true {
            var count = buffer.count
            if cinet_faults_active() != 0 {
                switch SyscallScript.fault(.read, fd) {
                case .none: break
                case .limit(let n)?: count = min(count, n)
                case .fail(let e)?:
                    if e == EINTR { continue }
                    return try ioFailure(e, fd, what(), host())
                }
            }
            let n = Glibc.read(fd, buffer.baseAddress, count)
            if n > 0 || (n == 0 && !stream && count > 0) { return .processed(n) }
            if n == 0 { return .endOfStream }
            let e = cinet_errno()
            if e == EINTR { continue }
            return try ioFailure(e, fd, what(), host())
        }
    }

    /// `recv(2)` with `MSG_PEEK | MSG_DONTWAIT`: copies waiting bytes without taking them.
    static func peek(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, _ what: @autoclosure () -> String,
        host: @autoclosure () -> String? = nil
    ) throws(InetError) -> IOResult {
        while true {
            if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.recv, fd) {
                if e == EINTR { continue }
                return try ioFailure(e, fd, what(), host())
            }
            let n = cinet_recv_peek(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return .processed(n) }
            if n == 0 { return buffer.count == 0 ? .processed(0) : .endOfStream }
            let e = cinet_errno()
            if e == EINTR { continue }
            return try ioFailure(e, fd, what(), host())
        }
    }

    /// `recv(2)` with `MSG_DONTWAIT` into `buffer`, for discarding unread input before a close.
    static func discard(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.recv, fd) {
                if e == EINTR { continue }
                return -1
            }
            let n = Glibc.recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if n < 0, cinet_errno() == EINTR { continue }
            return n
        }
    }

    /// `send(2)` with `MSG_NOSIGNAL` (a broken pipe is an error, never a signal).
    @inline(__always)
    static func send(
        _ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ what: @autoclosure () -> String,
        host: @autoclosure () -> String? = nil
    ) throws(InetError) -> IOResult {
        while true {
            var count = bytes.count
            if cinet_faults_active() != 0 {
                switch SyscallScript.fault(.send, fd) {
                case .none: break
                case .limit(let n)?: count = min(count, n)
                case .fail(let e)?:
                    if e == EINTR { continue }
                    return try ioFailure(e, fd, what(), host())
                }
            }
            let n = cinet_send(fd, bytes.baseAddress, count)
            if n >= 0 { return .processed(n) }
            let e = cinet_errno()
            if e == EINTR { continue }
            return try ioFailure(e, fd, what(), host())
        }
    }

    /// `sendmsg(2)` over `count` iovecs (a gathered stream write).
    static func sendmsg(
        _ fd: Int32, _ vectors: UnsafeMutablePointer<iovec>, count: Int,
        _ what: @autoclosure () -> String, host: @autoclosure () -> String? = nil
    ) throws(InetError) -> IOResult {
        while true {
            var limit = Int.max
            if cinet_faults_active() != 0 {
                switch SyscallScript.fault(.send, fd) {
                case .none: break
                case .limit(let n)?: limit = n
                case .fail(let e)?:
                    if e == EINTR { continue }
                    return try ioFailure(e, fd, what(), host())
                }
            }
            if limit != .max {
                // A scripted partial write: the first iovec, cut to the limit.
                let first = UnsafeRawBufferPointer(start: vectors[0].iov_base, count: vectors[0].iov_len)
                return try send(fd, UnsafeRawBufferPointer(rebasing: first.prefix(limit)), what(), host: host())
            }
            let n = cinet_sendmsg_iov(fd, vectors, Int32(count))
            if n >= 0 { return .processed(n) }
            let e = cinet_errno()
            if e == EINTR { continue }
            return try ioFailure(e, fd, what(), host())
        }
    }

    /// `recvfrom(2)`: one datagram and its sender.
    static func receiveFrom(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer,
        _ what: @autoclosure () -> String
    ) throws(InetError) -> (IOResult, SocketAddress?) {
        while true {
            if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.recvfrom, fd) {
                if e == EINTR { continue }
                return (try ioFailure(e, fd, what(), nil), nil)
            }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutableBytes(of: &storage) { raw in
                recvfrom(
                    fd, buffer.baseAddress, buffer.count, 0, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self),
                    &length)
            }
            if n >= 0 {
                return (.processed(n), withUnsafeBytes(of: &storage) { SocketAddress(storage: $0.baseAddress!) })
            }
            let e = cinet_errno()
            if e == EINTR { continue }
            return (try ioFailure(e, fd, what(), nil), nil)
        }
    }

    /// `sendto(2)`: one datagram to `peer`.
    static func sendTo(
        _ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ peer: SocketAddress,
        _ what: @autoclosure () -> String
    ) throws(InetError) -> IOResult {
        while true {
            if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.sendto, fd) {
                if e == EINTR { continue }
                return try ioFailure(e, fd, what(), nil)
            }
            let n = peer.withSockAddr { address, length in
                Glibc.sendto(fd, bytes.baseAddress, bytes.count, CINET_MSG_NOSIGNAL, address, length)
            }
            if n >= 0 { return .processed(n) }
            let e = cinet_errno()
            if e == EINTR { continue }
            return try ioFailure(e, fd, what(), nil)
        }
    }

    /// Would-block for `EAGAIN`, else the error.
    /// The texts are autoclosures: a would-block (every read that finds nothing yet) builds none.
    private static func ioFailure(
        _ e: Int32, _ fd: Int32, _ what: @autoclosure () -> String,
        _ host: @autoclosure () -> String?
    ) throws(InetError) -> IOResult {
        if e == EAGAIN { return .wouldBlock }
        if e == EMSGSIZE { throw InetError.pathMTU(what(), mtu: pathMTU(fd), host: host()) }
        throw InetError.connectionIO(what(), errno: e, host: host())
    }

    // MARK: sockets

    /// `socket(2)`, non-blocking (close-on-exec when asked).
    static func socket(
        family: Int32, type: Int32, closeOnExec: Bool, _ what: @autoclosure () -> String
    ) throws(InetError) -> Int32 {
        while true {
            if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.socket, -1) {
                if e == EINTR { continue }
                throw InetError.system(what(), errno: e)
            }
            let fd = cinet_socket(family, type, closeOnExec ? 1 : 0)
            if fd >= 0 { return fd }
            let e = cinet_errno()
            if e == EINTR { continue }
            throw InetError.system(what(), errno: e)
        }
    }

    /// `accept4(2)`, non-blocking (close-on-exec when asked); nil when nothing waits.
    static func accept(_ fd: Int32, closeOnExec: Bool) throws(InetError) -> Int32? {
        while true {
            if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.accept, fd) {
                if e == EINTR { continue }
                if e == EAGAIN { return nil }
                throw InetError.system("accept", errno: e)
            }
            let accepted = cinet_accept(fd, nil, nil, closeOnExec ? 1 : 0)
            if accepted >= 0 { return accepted }
            let e = cinet_errno()
            if e == EINTR { continue }
            if e == EAGAIN { return nil }
            throw InetError.system("accept", errno: e)
        }
    }

    /// Starts a non-blocking `connect(2)`: true when already connected, false when in progress.
    static func connect(_ fd: Int32, to address: SocketAddress) throws(InetError) -> Bool {
        while true {
            if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.connect, fd) {
                if e == EINTR { continue }
                if e == EINPROGRESS { return false }
                throw InetError.system("connect to \(address)", errno: e)
            }
            let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
            if rc == 0 { return true }
            let e = cinet_errno()
            // An interrupted connect goes on in the background (connect(2)): wait for it as for
            // one in progress.
            if e == EINPROGRESS || e == EINTR { return false }
            if address.family == .unix { throw InetError.unixDomain("connect to", address, errno: e) }
            throw InetError.system("connect to \(address)", errno: e)
        }
    }

    /// `bind(2)`.
    static func bind(_ fd: Int32, _ address: SocketAddress) throws(InetError) {
        if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.bind, fd) {
            throw InetError.system("bind to \(address)", errno: e)
        }
        guard address.withSockAddr({ Glibc.bind(fd, $0, $1) }) == 0 else {
            if address.family == .unix { throw InetError.unixDomain("bind to", address, errno: cinet_errno()) }
            throw InetError.system("bind to \(address)", errno: cinet_errno())
        }
    }

    /// `listen(2)`.
    static func listen(_ fd: Int32, backlog: Int32, _ what: @autoclosure () -> String) throws(InetError) {
        if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.listen, fd) {
            throw InetError.system(what(), errno: e)
        }
        guard Glibc.listen(fd, backlog) == 0 else { throw InetError.system(what(), errno: cinet_errno()) }
    }

    /// `shutdown(2)`; errors (the peer already gone) are the caller's to ignore or report.
    @discardableResult
    static func shutdown(_ fd: Int32, _ how: Int32) -> Int32 {
        if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.shutdown, fd) { return e }
        return Glibc.shutdown(fd, how) == 0 ? 0 : cinet_errno()
    }

    /// `setsockopt(2)` of an `Int32` value.
    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ what: String) throws(InetError)
    {
        if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.setsockopt, fd) {
            throw InetError.system("setsockopt(\(what))", errno: e)
        }
        var v = value
        guard setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw InetError.system("setsockopt(\(what))", errno: cinet_errno())
        }
    }

    /// `SO_LINGER` with a zero timeout: the next close sends RST.
    static func setLingerZero(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// The path MTU the kernel knows for a connected socket (`IP_MTU`, or `IPV6_MTU` for IPv6);
    /// 0 when it knows none.
    static func pathMTU(_ fd: Int32) -> Int {
        // IP_MTU (14) at IPPROTO_IP, IPV6_MTU (24) at IPPROTO_IPV6: Glibc does not export them.
        let v4 = intOption(fd, Int32(IPPROTO_IP), 14)
        return Int(v4 > 0 ? v4 : intOption(fd, Int32(IPPROTO_IPV6), 24))
    }

    /// `getsockopt(2)` of an `Int32` value (0 when it fails).
    static func intOption(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int32 {
        if cinet_faults_active() != 0, case .fail(let e)? = SyscallScript.fault(.getsockopt, fd) {
            return name == SO_ERROR ? e : 0
        }
        var v: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, level, name, &v, &len)
        return v
    }

    /// `ioctl(FIONREAD)`: bytes waiting to be read (0 when it fails).
    static func bytesWaiting(_ fd: Int32) -> Int {
        if cinet_faults_active() != 0, case .fail? = SyscallScript.fault(.ioctl, fd) { return 0 }
        var count: Int32 = 0
        return cinet_bytes_waiting(fd, &count) == 0 ? Int(count) : 0
    }

    /// `close(2)`. Never retried: after `EINTR` Linux has already released the descriptor.
    static func close(_ fd: Int32) {
        if cinet_faults_active() != 0 { _ = SyscallScript.fault(.close, fd) }
        _ = Glibc.close(fd)
    }

    /// `unlink(2)` of a path (a Unix domain socket's file).
    static func unlink(_ path: String, _ what: @autoclosure () -> String) throws(InetError) {
        guard Glibc.unlink(path) == 0 else { throw InetError.system(what(), errno: cinet_errno(), host: path) }
    }

    /// What `lstat(2)` says of `path`: its device, inode and whether it is a socket; nil when
    /// there is nothing there (or it cannot be read).
    static func fileIdentity(_ path: String) -> (device: UInt64, inode: UInt64, isSocket: Bool)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino), (info.st_mode & S_IFMT) == S_IFSOCK)
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body that throws `InetError` (the standard one rethrows untyped).
    @inline(__always)
    func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws(InetError) -> R) throws(InetError) -> R {
        let result: Result<R, InetError> = withUnsafeBytes { raw in
            do throws(InetError) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
