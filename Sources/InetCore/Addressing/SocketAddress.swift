import CInetLinux
import Glibc

/// A socket address: IPv4 or IPv6 (IP and port), or a Unix domain socket's path.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable, CustomStringConvertible {
        /// IPv4.
        case ipv4
        /// IPv6.
        case ipv6
        /// A Unix domain socket (`AF_UNIX`): a path in the file system, no port.
        case unix

        /// `IPv4`, `IPv6` or `Unix`.
        public var description: String {
            switch self {
            case .ipv4: "IPv4"
            case .ipv6: "IPv6"
            case .unix: "Unix"
            }
        }
        var rawValue: Int32 {
            switch self {
            case .ipv4: AF_INET
            case .ipv6: AF_INET6
            case .unix: AF_UNIX
            }
        }
    }

    enum Storage: @unchecked Sendable {  // plain C structs of integers: no references inside
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
        case unix(sockaddr_un)  // sun_path NUL-terminated (unnamed: all zero); zero-filled after it
    }

    var storage: Storage

    init(_ v4: sockaddr_in) { storage = .v4(v4) }
    init(_ v6: sockaddr_in6) { storage = .v6(v6) }
    init(_ un: sockaddr_un) { storage = .unix(un) }

    /// The longest path a Unix domain socket address holds, in bytes (`sun_path` less its NUL).
    public static let maxUnixPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// The address of a Unix domain socket at `path` (absolute or relative to the working
    /// directory). Throws `invalidAddress` for an empty path, one with a NUL byte, or one longer
    /// than ``maxUnixPathLength`` bytes (the kernel's limit; Linux's abstract names are not supported).
    public init(unixDomainSocketPath path: String) throws(InetError) {
        func bad(_ why: String) -> InetError {
            InetError(.invalidAddress, "invalid Unix domain socket path '\(path.prefix(120))': \(why)")
        }
        let bytes = Array(path.utf8)
        if bytes.isEmpty { throw bad("it is empty") }
        if bytes.contains(0) { throw bad("it contains a NUL byte") }
        if bytes.count > Self.maxUnixPathLength {
            throw bad("it is \(bytes.count) bytes; a Unix domain socket path holds at most \(Self.maxUnixPathLength)")
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        storage = .unix(address)
    }

    /// The path of a Unix domain socket address (`""` for an unnamed one, such as a client's);
    /// `nil` for IPv4 and IPv6.
    public var unixDomainSocketPath: String? {
        guard case .unix(var a) = storage else { return nil }
        return withUnsafeBytes(of: &a.sun_path) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Reads an address the kernel wrote into a `sockaddr_storage`, or `nil` for another family.
    init?(storage raw: UnsafeRawPointer) {
        switch Int32(raw.load(as: sockaddr.self).sa_family) {
        case AF_INET: self.init(raw.loadUnaligned(as: sockaddr_in.self))
        case AF_INET6: self.init(raw.loadUnaligned(as: sockaddr_in6.self))
        case AF_UNIX: self.init(raw.loadUnaligned(as: sockaddr_un.self))  // the caller zero-filled it
        default: return nil
        }
    }

    /// Parses an IPv4 or IPv6 literal (`127.0.0.1`, `::1`, `fe80::1%eth0`); `nil` for anything else.
    public init?(ipLiteral text: String, port: UInt16) {
        guard !text.isEmpty, text.utf8.count <= 255 else { return nil }
        // Fast path for the common dotted quad (no allocation, no resolver machinery).
        // `withCString`, not the implicit String-to-pointer conversion: that one copies the text
        // into a new heap array for every call; this one uses the string's own storage (or the
        // stack for a small string).
        var v4 = sockaddr_in()
        if text.withCString({ inet_pton(AF_INET, $0, &v4.sin_addr) }) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            guard let address = withUnsafeBytes(of: &v4, { SocketAddress(storage: $0.baseAddress!) }) else {
                return nil
            }
            self = address
            self.port = port
            return
        }
        var hints = addrinfo()
        hints.ai_flags = CINET_AI_NUMERICHOST
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        guard text.withCString({ getaddrinfo($0, nil, &hints, &result) }) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        guard let address = SocketAddress(storage: UnsafeRawPointer(first.pointee.ai_addr)) else {
            return nil
        }
        self = address
        self.port = port
    }

    /// The family.
    public var family: Family {
        switch storage {
        case .v4: .ipv4
        case .v6: .ipv6
        case .unix: .unix
        }
    }

    /// The port, in host byte order (0 for a Unix domain socket, which has none; setting it
    /// changes nothing).
    public var port: UInt16 {
        get {
            switch storage {
            case .v4(let a): UInt16(bigEndian: a.sin_port)
            case .v6(let a): UInt16(bigEndian: a.sin6_port)
            case .unix: 0
            }
        }
        set {
            switch storage {
            case .v4(var a):
                a.sin_port = newValue.bigEndian
                storage = .v4(a)
            case .v6(var a):
                a.sin6_port = newValue.bigEndian
                storage = .v6(a)
            case .unix: break
            }
        }
    }

    /// The IP address as text, without port or brackets; a Unix domain socket's path.
    public var ipAddress: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch storage {
        case .v4(var a):
            _ = inet_ntop(AF_INET, &a.sin_addr, &buffer, socklen_t(buffer.count))
        case .v6(var a):
            _ = inet_ntop(AF_INET6, &a.sin6_addr, &buffer, socklen_t(buffer.count))
        case .unix: return unixDomainSocketPath ?? ""
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `127.0.0.1:80`, `[::1]:8443`, or `unix:/run/app.sock` (`unix:` alone for an unnamed socket).
    public var description: String {
        switch family {
        case .ipv4: "\(ipAddress):\(port)"
        case .ipv6: "[\(ipAddress)]:\(port)"
        case .unix: "unix:\(ipAddress)"
        }
    }

    /// True for `0.0.0.0`, `::` and an unnamed Unix domain socket.
    public var isUnspecified: Bool {
        switch storage {
        case .v4(let a): a.sin_addr.s_addr == 0
        case .v6(var a): withUnsafeBytes(of: &a.sin6_addr) { $0.allSatisfy { $0 == 0 } }
        case .unix(let a): a.sun_path.0 == 0
        }
    }

    /// The wildcard address of a family with a port (for `.unix`: an unnamed socket).
    public static func any(_ family: Family, port: UInt16) -> SocketAddress {
        // Built directly: zeroed structs are the wildcard addresses (no parsing, no allocation).
        var address: SocketAddress
        switch family {
        case .ipv4:
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            address = SocketAddress(v4)
        case .ipv6:
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            address = SocketAddress(v6)
        case .unix:
            var un = sockaddr_un()
            un.sun_family = sa_family_t(AF_UNIX)
            return SocketAddress(un)
        }
        address.port = port
        return address
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch storage {
        case .v4(var a):
            return withUnsafeBytes(of: &a) {
                body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        case .v6(var a):
            return withUnsafeBytes(of: &a) {
                body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        case .unix(var a):
            // The whole struct: Linux reads the path up to its NUL (unix(7)).
            return withUnsafeBytes(of: &a) {
                body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    private var bytes: [UInt8] {
        switch storage {
        case .v4(var a):
            a.sin_zero = (0, 0, 0, 0, 0, 0, 0, 0)
            return withUnsafeBytes(of: &a) { Array($0) }
        case .v6(var a): return withUnsafeBytes(of: &a) { Array($0) }
        case .unix(var a): return withUnsafeBytes(of: &a) { Array($0) }
        }
    }

    /// Equal when family, IP, port (and IPv6 scope and flow) match.
    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool { lhs.bytes == rhs.bytes }
    /// Hashes the address bytes.
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
}
