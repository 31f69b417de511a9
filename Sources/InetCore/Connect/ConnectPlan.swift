import InetTLS
import Logging

/// A connector's fields, validated and normalised. Made before any socket exists, so every bad
/// input fails with its own error and nothing to clean up.
final class ConnectPlan: @unchecked Sendable {
    // Safe: immutable after init except `operation`, which only the loop thread touches.
    let host: String
    let port: UInt16
    let proto: InetProtocol
    let timeout: Duration
    let options: InetOptions
    let literal: SocketAddress?
    let localBind: SocketAddress?
    let localPortMode: LocalPortMode
    let happyEyeballsDelay: Duration
    let ioTimeout: Duration?
    let writeBufferLimit: Int
    let keepAlive: KeepAlive
    let userTimeout: Duration?
    let resolver: any Resolver
    /// The shared TLS context of a `.secure` connect (credentials already loaded and checked).
    let tlsContext: TLSContext?
    let loop: EventLoop
    /// The connector's logger when it logs at debug level; nil (nothing done) otherwise.
    let logger: Logger?
    /// The running operation (loop thread only), for cancellation.
    var operation: ConnectOperation?

    enum LocalPortMode: Equatable {
        case any
        case explicit(UInt16)
        case reserved
    }

    /// The longest accepted timeout (epoll and timer arithmetic stay far from overflow).
    static let maxTimeout: Duration = .seconds(86_400 * 24)

    init(_ c: Connector) throws(InetError) {
        // Timeout.
        guard c.timeout > .zero else {
            throw InetError(.invalidTimeout, "timeout must be positive; got \(c.timeout)")
        }
        guard c.timeout <= Self.maxTimeout else {
            throw InetError(.invalidTimeout, "timeout must be at most 24 days; got \(c.timeout)")
        }
        guard c.happyEyeballsDelay >= .milliseconds(10), c.happyEyeballsDelay <= .seconds(60) else {
            throw InetError(.invalidTimeout, "happyEyeballsDelay must be 10 ms…60 s; got \(c.happyEyeballsDelay)")
        }
        switch c.ioTimeout {
        case .after(let d) where d <= .zero || d > Self.maxTimeout:
            throw InetError(.invalidTimeout, "ioTimeout must be positive and at most 24 days; got \(d)")
        case .after(let d): ioTimeout = d
        case .sameAsConnect: ioTimeout = c.timeout
        case .none: ioTimeout = nil
        }
        try c.keepAlive.check()
        if let t = c.userTimeout, t < .milliseconds(1) || t > Self.maxTimeout {
            throw InetError(.invalidTimeout, "userTimeout must be 1 ms…24 days; got \(t)")
        }
        keepAlive = c.keepAlive
        userTimeout = c.userTimeout
        guard c.writeBufferLimit >= 1024, c.writeBufferLimit <= 1 << 30 else {
            throw InetError(.invalidParameter, "writeBufferLimit must be 1 KiB…1 GiB; got \(c.writeBufferLimit)")
        }

        // Host (or a Unix domain socket's path) and port.
        let host: String
        let literal: SocketAddress?
        let port: Int
        if let path = c.unixDomainSocketPath {
            literal = try SocketAddress(unixDomainSocketPath: path)
            try Self.checkUnixDomain(c)
            (host, port) = (path, 0)
        } else {
            (host, literal) = try HostValidation.validate(c.host)
            port = try Self.port(c, host: host)
        }
        self.host = host
        self.port = UInt16(port)
        self.literal = literal.map {
            var a = $0
            a.port = UInt16(port)
            return a
        }

        // Options.
        try OptionRules.check(c.options, protocol: c.protocol, localPort: c.localPort)
        self.options = c.options
        self.proto = c.protocol

        // Local address and port.
        guard (0...65535).contains(c.localPort) else {
            throw InetError(.invalidPort, "localPort must be 0…65535; got \(c.localPort)")
        }
        localPortMode =
            c.options.contains(.reservedPort) ? .reserved : c.localPort == 0 ? .any : .explicit(UInt16(c.localPort))
        if let text = c.localAddress, !text.isEmpty {
            let stripped = HostValidation.stripBrackets(text)
            guard let address = SocketAddress(ipLiteral: stripped, port: 0) else {
                throw InetError(.invalidAddress, "localAddress must be an IPv4 or IPv6 literal; got '\(text)'")
            }
            localBind = address
        } else {
            localBind = nil
        }
        if let literal, let localBind, literal.family != localBind.family {
            throw InetError(
                .addressFamilyNotSupported,
                "host \(host) is \(literal.family) but localAddress \(localBind.ipAddress) is \(localBind.family)",
                host: host)
        }

        if let context = c.tlsContext {
            tlsContext = try Self.check(context, options: c.options, credentials: c.credentials, host: host)
        } else if c.options.contains(.secure) {
            let configuration = TLSConfiguration(
                role: .client, verifyPeer: !c.options.contains(.trustedSite),
                legacyFallback: c.options.contains(.secureFallback), credentials: c.credentials ?? SecurityCredentials()
            )
            do throws(TLSError) {
                tlsContext = try TLSContextCache.context(for: configuration)
            } catch {
                throw InetError(error, host: host)
            }
        } else {
            tlsContext = nil
        }
        happyEyeballsDelay = c.happyEyeballsDelay
        writeBufferLimit = c.writeBufferLimit
        resolver = c.resolver
        // A task running on one of the group's loops (the loop as its executor) gets its
        // connection on that loop: its reads and writes then need no hop.
        let group = c.group ?? EventLoopGroup.shared
        if let current = EventLoop.current, group.loops.contains(where: { $0 === current }) {
            loop = current
        } else {
            loop = group.next()
        }
        timeout = c.timeout
        logger = InetLog.active(c.logger)
    }
}

extension ConnectPlan {
    /// The port to connect to: the connector's, or its default port for 0.
    static func port(_ c: Connector, host: String) throws(InetError) -> Int {
        if c.port == 0 {
            guard let fallback = c.defaultPort else {
                throw InetError(
                    .invalidPort, "port 0 means the default port, and this connector has no defaultPort", host: host)
            }
            guard (1...65535).contains(fallback) else {
                throw InetError(.invalidPort, "defaultPort must be 1…65535; got \(fallback)", host: host)
            }
            return fallback
        }
        guard (1...65535).contains(c.port) else {
            throw InetError(.invalidPort, "port must be 1…65535 (or 0 for the default port); got \(c.port)", host: host)
        }
        return c.port
    }

    /// What a Unix domain socket connect cannot take (each named in the error).
    static func checkUnixDomain(_ c: Connector) throws(InetError) {
        let path = c.unixDomainSocketPath ?? ""
        func bad(_ why: String) -> InetError {
            InetError(.invalidOptions, "Unix domain socket \(path): \(why)", host: path)
        }
        if c.protocol == .udp { throw bad("only stream sockets are supported; UDP needs host and port") }
        let ipOnly = c.options.intersection([.noDelay, .keepAlive, .broadcast, .dontRoute, .reservedPort, .preferIPv6])
        if !ipOnly.isEmpty { throw bad("the options \(ipOnly) apply to IP sockets only") }
        if c.options.contains(.secure) || c.tlsContext != nil {
            throw bad("secure is not supported (there is no host name to verify a certificate against)")
        }
        if c.userTimeout != nil { throw bad("userTimeout applies to TCP over IP only") }
        if c.localAddress.map({ !$0.isEmpty }) == true || c.localPort != 0 {
            throw bad("localAddress and localPort apply to IP sockets only")
        }
    }

    /// A caller's client context, checked against the connector's options and credentials.
    static func check(
        _ context: TLSContext, options: InetOptions, credentials: SecurityCredentials?,
        host: String
    ) throws(InetError) -> TLSContext {
        let configuration = context.configuration
        guard options.contains(.secure) else {
            throw InetError(.invalidOptions, "invalid options \(options): a tlsContext needs .secure", host: host)
        }
        guard configuration.role == .client else {
            throw InetError(
                .invalidParameter, "a connector's tlsContext must be a .client context; got a server one", host: host)
        }
        guard credentials == nil else {
            throw InetError(.invalidParameter, "give a connector credentials or a tlsContext, not both", host: host)
        }
        if options.contains(.trustedSite) == configuration.verifyPeer {
            throw InetError(
                .invalidOptions,
                "invalid options \(options): .trustedSite is \(options.contains(.trustedSite) ? "set" : "not set") "
                    + "but the tlsContext \(configuration.verifyPeer ? "verifies" : "does not verify") the server",
                host: host)
        }
        if options.contains(.secureFallback) != configuration.legacyFallback {
            throw InetError(
                .invalidOptions,
                "invalid options \(options): .secureFallback is \(options.contains(.secureFallback) ? "set" : "not set") "
                    + "but the tlsContext was made \(configuration.legacyFallback ? "with" : "without") legacyFallback",
                host: host)
        }
        return context
    }
}

/// The option-combination rules of the design's option table.
public enum OptionRules {
    /// Throws `invalidOptions` naming the first bad combination.
    public static func check(_ options: InetOptions, protocol proto: InetProtocol, localPort: Int) throws(InetError) {
        func bad(_ why: String) -> InetError { InetError(.invalidOptions, "invalid options \(options): \(why)") }
        if !options.intersection(.unknownBits).isEmpty { throw bad("unknown option bits") }
        if proto == .tcp, options.contains(.broadcast) { throw bad("broadcast applies to UDP only") }
        if proto == .udp, options.contains(.keepAlive) { throw bad("keepAlive applies to TCP only") }
        if proto == .udp, options.contains(.noDelay) { throw bad("noDelay applies to TCP only") }
        if proto == .udp, options.contains(.secure) { throw bad("secure needs TCP (DTLS is not supported)") }
        if options.contains(.reservedPort), localPort != 0 {
            throw bad("reservedPort picks the local port itself; do not also give localPort \(localPort)")
        }
        if options.contains(.trustedSite), !options.contains(.secure) {
            throw bad("trustedSite without secure would silently send plaintext")
        }
        if options.contains(.secureFallback), !options.contains(.secure) {
            throw bad("secureFallback without secure would silently send plaintext")
        }
    }
}

/// Host name checks: what is a name, what is a literal, what is neither.
enum HostValidation {
    static func stripBrackets(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.count > 2, utf8.first == UInt8(ascii: "["), utf8.last == UInt8(ascii: "]") else { return text }
        return String(text.dropFirst().dropLast())
    }

    /// Whether `text` holds `byte` (a byte scan of native UTF-8; the generic `contains` over
    /// `String.UTF8View` cost ~300 instructions for a short host on every connect).
    static func contains(_ text: String, _ byte: UInt8) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { $0.contains(byte) } ?? text.utf8.contains(byte)
    }

    /// Returns the host to use and its address when it is an IP literal.
    static func validate(_ raw: String) throws(InetError) -> (String, SocketAddress?) {
        func bad(_ why: String) -> InetError {
            InetError(.invalidHostName, "invalid host name '\(raw)': \(why)", host: raw)
        }
        if raw.isEmpty { throw bad("it is empty") }
        if raw.utf8.count > 253 { throw bad("it is \(raw.utf8.count) bytes; at most 253 are allowed") }
        if contains(raw, UInt8(ascii: "/")) { throw bad("it looks like a URL; give only the host name") }
        let host = stripBrackets(raw)
        if let literal = SocketAddress(ipLiteral: host, port: 0) { return (host, literal) }
        if contains(host, UInt8(ascii: ":")) { throw bad("it is neither a host name nor a valid IPv6 literal") }
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty { throw bad("it has an empty label") }
            if label.utf8.count > 63 { throw bad("the label '\(label.prefix(20))…' is over 63 bytes") }
            for byte in label.utf8 {
                let ok =
                    (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                    || byte == 0x2D || byte == 0x5F
                if !ok { throw bad("it contains the character \(printable(byte)), which no host name may hold") }
            }
            if label.hasPrefix("-") || label.hasSuffix("-") {
                throw bad("the label '\(label)' starts or ends with '-'")
            }
        }
        return (host, nil)
    }

    private static func printable(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "0x\(String(byte, radix: 16))"
    }
}
