import ArgumentParser
import Glibc
import InetCore

/// `inetcat [options] HOST PORT` and `inetcat --listen [--bind ADDRESS] PORT [options]`.
struct NetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect to HOST PORT (or listen on PORT) and copy stdin/stdout over the connection.")

    @Argument(help: "HOST PORT to connect to, or PORT with --listen.")
    var positional: [String] = []

    @Flag(name: [.short, .long], help: "Listen for a connection instead of connecting.")
    var listen = false
    @Option(name: .long, help: "Local address to listen on (default: every IPv4 interface).")
    var bind: String?
    @Flag(name: .long, help: "With --listen: echo what arrives instead of piping it.")
    var echo = false
    @Flag(name: .long, help: "With --listen: serve connections until killed.")
    var keepOpen = false

    @Flag(name: [.short, .long], help: "Use UDP instead of TCP.")
    var udp = false
    @Option(name: [.customShort("w"), .long], help: "Timeout in seconds for connecting (fractions allowed).")
    var timeout: Double = 20
    @Flag(name: .long, help: "Try IPv6 addresses first.")
    var preferIpv6 = false
    @Flag(name: .long, help: "Disable Nagle's algorithm (TCP_NODELAY).")
    var nodelay = false
    @Flag(name: .long, help: "Enable TCP keep-alive probes.")
    var keepalive = false
    @Flag(name: .long, help: "Bypass routing (SO_DONTROUTE).")
    var dontroute = false
    @Flag(name: .long, help: "Allow UDP broadcast.")
    var broadcast = false
    @Flag(name: .long, help: "Bind a local port in 512…1023 (needs CAP_NET_BIND_SERVICE).")
    var reservedPort = false
    @Flag(name: .long, help: "Do not let child processes inherit the socket.")
    var noInherit = false
    @Option(name: [.customShort("s"), .long], help: "Local address to bind before connecting.")
    var localAddress: String?
    @Option(name: [.customShort("p"), .long], help: "Local port to bind before connecting.")
    var localPort: Int = 0
    @Flag(name: [.short, .long], help: "Print connection details to stderr.")
    var verbose = false

    @Flag(name: .long, help: "Drive the connection through the event API; print each event to stderr.")
    var events = false
    @Option(name: .long, help: "The legacy event message number for --events (above 0x0400; decimal or 0x hex).")
    var eventMsg: String = "0x0401"

    @OptionGroup(title: "TLS")
    var tls: TLSOptions

    var options: InetOptions {
        var o: InetOptions = tls.options
        if preferIpv6 { o.insert(.preferIPv6) }
        if nodelay { o.insert(.noDelay) }
        if keepalive { o.insert(.keepAlive) }
        if dontroute { o.insert(.dontRoute) }
        if broadcast { o.insert(.broadcast) }
        if reservedPort { o.insert(.reservedPort) }
        if noInherit { o.insert(.noInherit) }
        return o
    }

    var proto: InetProtocol { udp ? .udp : .tcp }

    static func parseNumber(_ text: String) -> UInt32? {
        text.lowercased().hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
    }

    func validate() throws {
        let wanted = listen ? 1 : 2
        guard positional.count == wanted else {
            throw ValidationError(
                listen
                    ? "--listen takes exactly one argument, PORT; got \(positional.count)"
                    : "expected HOST and PORT; got \(positional.count) argument(s)")
        }
        guard let port = Int(positional.last!), (0...65535).contains(port) else {
            throw ValidationError("PORT must be a number 0…65535; got '\(positional.last!)'")
        }
        _ = port
        guard timeout > 0, timeout.isFinite, timeout <= 86_400 * 24 else {
            throw ValidationError("--timeout must be a positive number of seconds (at most 24 days); got \(timeout)")
        }
        if !listen, bind != nil { throw ValidationError("--bind needs --listen; use --local-address to bind a client") }
        if !listen, echo || keepOpen { throw ValidationError("--echo and --keep-open need --listen") }
        try tls.validate(listening: listen)
        if events, listen { throw ValidationError("--events applies to connecting, not --listen") }
        guard let message = Self.parseNumber(eventMsg), message > 0x0400 else {
            throw ValidationError("--event-msg must be a number above 0x0400 (WM_USER); got '\(eventMsg)'")
        }
        _ = message
    }

    func run() throws {
        let port = Int(positional.last!)!
        if listen {
            try Serve(command: self, port: port).run()
        } else {
            try connect(host: positional[0], port: port)
        }
    }

    private func connect(host: String, port: Int) throws(InetError) {
        var connector = Connector(
            host: host, port: port, protocol: proto, timeout: .milliseconds(Int64(timeout * 1000)),
            options: options, localAddress: localAddress, localPort: localPort)
        connector.ioTimeout = .none
        connector.credentials = tls.credentials
        if events {
            return try EventPump.run(connector, eventMessage: Self.parseNumber(eventMsg)!)
        }
        if let file = tls.resume { try SessionFile.load(file, into: connector) }
        let connection = try connector.blocking.connect()
        if verbose {
            Output.line("connected: local=\(connection.localAddress) remote=\(connection.remoteAddress)")
            if let info = connection.tls { Output.line(TLSOptions.describe(info)) }
        }
        try Pump.run(connection, udpIdle: .milliseconds(Int64(timeout * 1000)))
        try connection.blocking.close()
        if let file = tls.resume { try SessionFile.save(file, from: connector) }
    }
}
