/// Socket and connection options: the `INET_OPTION_*` flags of the original API.
///
/// The published legacy bit values are kept (broadcast 0x1, dontRoute 0x2, keepAlive 0x4,
/// noDelay 0x10, trustedSite 0x800, secure 0x1000) so ported code can pass its `dwOptions` as is
/// through ``init(rawValue:)``. The others had no published value; Inet's are documented here.
public struct InetOptions: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The bits.
    public var rawValue: UInt32
    /// Options from a legacy `dwOptions` value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `SO_BROADCAST`: datagrams may go to broadcast addresses. UDP only.
    public static let broadcast = InetOptions(rawValue: 0x0001)
    /// `SO_DONTROUTE`: bypass routing; send only to directly connected hosts.
    public static let dontRoute = InetOptions(rawValue: 0x0002)
    /// `SO_KEEPALIVE`: probe an idle TCP connection. TCP only.
    public static let keepAlive = InetOptions(rawValue: 0x0004)
    /// `SO_REUSEADDR` on a listener: bind a local address and port that recently closed
    /// connections still hold (TIME_WAIT). Listeners only. (Unpublished value: the one free bit
    /// between the published ones, as the ActiveX control keeps this one as a property.)
    public static let reuseAddress = InetOptions(rawValue: 0x0008)
    /// `TCP_NODELAY`: disable Nagle's algorithm. TCP only.
    public static let noDelay = InetOptions(rawValue: 0x0010)
    /// Bind an unused local port in 512…1023 (needs `CAP_NET_BIND_SERVICE`). Not with a `localPort`.
    public static let reservedPort = InetOptions(rawValue: 0x0040)
    /// `SOCK_CLOEXEC`: children started with `exec` do not inherit the socket. In ``default``.
    public static let noInherit = InetOptions(rawValue: 0x0080)
    /// The legacy handle may be used from any thread; the caller synchronises (legacy layer).
    public static let freeThread = InetOptions(rawValue: 0x0100)
    /// Allow TLS 1.0/1.1 and legacy cipher suites. Only with ``secure``.
    public static let secureFallback = InetOptions(rawValue: 0x0200)
    /// Try IPv6 addresses first when a name has both families (ignored without IPv6 here).
    public static let preferIPv6 = InetOptions(rawValue: 0x0400)
    /// Do not validate the server certificate (still encrypts). Only with ``secure``.
    public static let trustedSite = InetOptions(rawValue: 0x0800)
    /// TLS right after the TCP connect; "connected" only after the handshake. TCP only.
    public static let secure = InetOptions(rawValue: 0x1000)
    /// No other socket may bind the listener's address and port while it is open (Windows'
    /// `SO_EXCLUSIVEADDRUSE`). Linux already refuses a second bind of a listening port (Inet
    /// never sets `SO_REUSEPORT`), so this is accepted and needs nothing more. Listeners only.
    public static let exclusive = InetOptions(rawValue: 0x2000)

    /// The Swift API's default: ``noInherit``.
    public static let `default`: InetOptions = [.noInherit]

    private static let names: [(InetOptions, String)] = [
        (.broadcast, "broadcast"), (.dontRoute, "dontRoute"), (.keepAlive, "keepAlive"),
        (.reuseAddress, "reuseAddress"), (.noDelay, "noDelay"), (.reservedPort, "reservedPort"),
        (.noInherit, "noInherit"),
        (.freeThread, "freeThread"), (.secureFallback, "secureFallback"),
        (.preferIPv6, "preferIPv6"), (.trustedSite, "trustedSite"), (.secure, "secure"), (.exclusive, "exclusive"),
    ]

    /// Bits no option uses.
    public static let unknownBits = InetOptions(rawValue: ~names.reduce(0) { $0 | $1.0.rawValue })

    /// `[noDelay, keepAlive]`-style list of the set options.
    public var description: String {
        var parts = Self.names.filter { contains($0.0) }.map(\.1)
        let unknown = rawValue & Self.unknownBits.rawValue
        if unknown != 0 { parts.append("unknown(0x\(String(unknown, radix: 16)))") }
        return "[" + parts.joined(separator: ", ") + "]"
    }
}
