import CInetLinux
import Glibc

/// Sole owner of one socket descriptor: closes it exactly once, when dropped.
/// Non-copyable, so a descriptor can never be closed twice or used after its owner let it go.
struct SocketDescriptor: ~Copyable {
    let raw: Int32

    /// Takes ownership of `raw`.
    init(taking raw: Int32) { self.raw = raw }

    /// A new non-blocking socket (close-on-exec when `closeOnExec`).
    init(family: SocketAddress.Family, protocol proto: InetProtocol, closeOnExec: Bool) throws(InetError) {
        let type = proto == .tcp ? CINET_SOCK_STREAM : CINET_SOCK_DGRAM
        self.raw = try Syscall.socket(
            family: family.rawValue, type: type, closeOnExec: closeOnExec, "socket(\(family), \(proto))")
    }

    deinit { Syscall.close(raw) }

    /// Gives up ownership without closing; the caller must make a new owner for the number.
    consuming func release() -> Int32 {
        let fd = raw
        discard self
        return fd
    }

    func setOption(_ level: Int32, _ name: Int32, _ value: Int32, _ what: String) throws(InetError) {
        try Syscall.setOption(raw, level, name, value, what)
    }

    /// Applies the socket-level options of `options` (TCP ones only to TCP sockets): with
    /// `.keepAlive`, `keepAlive`'s timing; a `userTimeout` as `TCP_USER_TIMEOUT`.
    func apply(
        _ options: InetOptions, protocol proto: InetProtocol, keepAlive: KeepAlive = .default,
        userTimeout: Duration? = nil
    ) throws(InetError) {
        if options.contains(.broadcast) { try setOption(SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST") }
        if options.contains(.dontRoute) { try setOption(SOL_SOCKET, SO_DONTROUTE, 1, "SO_DONTROUTE") }
        guard proto == .tcp else { return }
        if options.contains(.keepAlive) {
            try setOption(SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE")
            try setOption(CINET_IPPROTO_TCP, CINET_TCP_KEEPIDLE, keepAlive.idleSeconds, "TCP_KEEPIDLE")
            try setOption(CINET_IPPROTO_TCP, CINET_TCP_KEEPINTVL, keepAlive.intervalSeconds, "TCP_KEEPINTVL")
            try setOption(CINET_IPPROTO_TCP, CINET_TCP_KEEPCNT, Int32(keepAlive.count), "TCP_KEEPCNT")
        }
        if options.contains(.noDelay) { try setOption(CINET_IPPROTO_TCP, CINET_TCP_NODELAY, 1, "TCP_NODELAY") }
        if let userTimeout {
            let ms = Int32(
                clamping: userTimeout.components.seconds * 1000 + userTimeout.components.attoseconds
                    / 1_000_000_000_000_000)
            try setOption(CINET_IPPROTO_TCP, CINET_TCP_USER_TIMEOUT, ms, "TCP_USER_TIMEOUT")
        }
    }

    func getIntOption(_ level: Int32, _ name: Int32) -> Int32 {
        Syscall.intOption(raw, level, name)
    }

    func bind(_ address: SocketAddress) throws(InetError) {
        try Syscall.bind(raw, address)
    }

    /// Starts a non-blocking connect: true when already connected, false when in progress.
    func startConnect(to address: SocketAddress) throws(InetError) -> Bool {
        try Syscall.connect(raw, to: address)
    }

    /// The pending error of a finished non-blocking connect (0 when it succeeded).
    var pendingError: Int32 { getIntOption(SOL_SOCKET, SO_ERROR) }

    var localAddress: SocketAddress? { Self.name(raw, getsockname) }
    var remoteAddress: SocketAddress? { Self.name(raw, getpeername) }

    private static func name(
        _ fd: Int32, _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) -> SocketAddress? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutableBytes(of: &storage) { raw -> SocketAddress? in
            guard call(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &len) == 0 else { return nil }
            return SocketAddress(storage: raw.baseAddress!)
        }
    }
}
