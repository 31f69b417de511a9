import CInetLinux
import Glibc

/// An IPv4 or IPv6 socket address (IP and port).
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable, CustomStringConvertible {
        /// IPv4.
        case ipv4
        /// IPv6.
        case ipv6

        /// `IPv4` or `IPv6`.
        public var description: String { self == .ipv4 ? "IPv4" : "IPv6" }
        var rawValue: Int32 { self == .ipv4 ? AF_INET : AF_INET6 }
    }

    enum Storage: @unchecked Sendable {  // plain C structs of integers: no references inside
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }

    var storage: Storage

    init(_ v4: sockaddr_in) { storage = .v4(v4) }
    init(_ v6: sockaddr_in6) { storage = .v6(v6) }

    /// Reads an address the kernel wrote into a `sockaddr_storage`, or `nil` for another family.
    init?(storage raw: UnsafeRawPointer) {
        switch Int32(raw.load(as: sockaddr.self).sa_family) {
        case AF_INET: self.init(raw.loadUnaligned(as: sockaddr_in.self))
        case AF_INET6: self.init(raw.loadUnaligned(as: sockaddr_in6.self))
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
            guard let address = withUnsafeBytes(of: &v4, { SocketAddress(storage: $0.baseAddress!) }) else { return nil }
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
        }
    }

    /// The port, in host byte order.
    public var port: UInt16 {
        get {
            switch storage {
            case .v4(let a): UInt16(bigEndian: a.sin_port)
            case .v6(let a): UInt16(bigEndian: a.sin6_port)
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
            }
        }
    }

    /// The IP address as text, without port or brackets.
    public var ipAddress: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch storage {
        case .v4(var a):
            _ = inet_ntop(AF_INET, &a.sin_addr, &buffer, socklen_t(buffer.count))
        case .v6(var a):
            _ = inet_ntop(AF_INET6, &a.sin6_addr, &buffer, socklen_t(buffer.count))
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `127.0.0.1:80` or `[::1]:8443`.
    public var description: String {
        family == .ipv4 ? "\(ipAddress):\(port)" : "[\(ipAddress)]:\(port)"
    }

    /// True for `0.0.0.0` and `::`.
    public var isUnspecified: Bool {
        switch storage {
        case .v4(let a): a.sin_addr.s_addr == 0
        case .v6(var a): withUnsafeBytes(of: &a.sin6_addr) { $0.allSatisfy { $0 == 0 } }
        }
    }

    /// The wildcard address of a family with a port.
    public static func any(_ family: Family, port: UInt16) -> SocketAddress {
        // Built directly: zeroed structs are the wildcard addresses (no parsing, no allocation).
        var address: SocketAddress
        if family == .ipv4 {
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            address = SocketAddress(v4)
        } else {
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            address = SocketAddress(v6)
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
        }
    }

    private var bytes: [UInt8] {
        switch storage {
        case .v4(var a):
            a.sin_zero = (0, 0, 0, 0, 0, 0, 0, 0)
            return withUnsafeBytes(of: &a) { Array($0) }
        case .v6(var a): return withUnsafeBytes(of: &a) { Array($0) }
        }
    }

    /// Equal when family, IP, port (and IPv6 scope and flow) match.
    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool { lhs.bytes == rhs.bytes }
    /// Hashes the address bytes.
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
}
