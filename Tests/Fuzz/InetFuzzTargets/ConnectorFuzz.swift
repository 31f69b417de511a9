import InetCore

/// `Connector.validate()` over fields read from the input (host text from pieces parsers care
/// about or raw bytes, ports and timeouts around their limits, any option bits, keep-alive,
/// user timeout, write limit, local address, Unix paths). A refusal must be one of the
/// validation errors and say what was wrong.
enum ConnectorFuzz {
    static let allowed: Set<InetErrorCode> = [
        .invalidHostName, .invalidPort, .invalidOptions, .invalidAddress, .invalidTimeout, .invalidParameter,
        .addressFamilyNotSupported, .credentialsNotFound, .credentialsInvalid,
    ]
    static let pieces = [
        "a", "example", "-", ".", "_", "/", ":", "::", "[", "]", "%", "lo", "é", "\u{0}", " ", "1", "255", "256",
        "127.0.0.1", "::1", "fe80::1", "::ffff:1.2.3.4", "http://", "xn--", "*", "@", "0x7f", "localhost",
        String(repeating: "a", count: 64), String(repeating: "b", count: 254),
    ]

    static func text(_ input: inout FuzzInput) -> String {
        if input.bool() {
            return (0..<input.int(in: 0...12)).map { _ in input.pick(pieces) }.joined()
        }
        return String(decoding: input.bytes(upTo: 300), as: UTF8.self)
    }

    static func duration(_ input: inout FuzzInput) -> Duration {
        switch input.int(in: 0...5) {
        case 0: .zero
        case 1: .milliseconds(input.int(in: -1_000_000...1_000_000))
        case 2: .seconds(input.int(in: -10...100_000_000))
        case 3: .nanoseconds(input.int(in: Int.min...Int.max))
        case 4: .seconds(Int64.max)
        default: .seconds(input.int(in: 1...60))
        }
    }

    static func run(_ input: inout FuzzInput) throws(FuzzFailure) {
        let ports = [-1, 0, 1, 80, 65_535, 65_536, Int.max, Int.min]
        var connector: Connector
        if input.int(in: 0...7) == 0 {
            connector = Connector(unixDomainSocketPath: text(&input), timeout: duration(&input))
        } else {
            connector = Connector(
                host: text(&input), port: input.bool() ? input.pick(ports) : input.int(in: -100_000...100_000),
                protocol: input.bool() ? .tcp : .udp, timeout: duration(&input),
                options: input.bool() ? .default : InetOptions(rawValue: input.uint32()))
        }
        if input.bool() { connector.localAddress = text(&input) }
        if input.bool() { connector.localPort = input.bool() ? input.pick(ports) : input.int(in: -10...70_000) }
        if input.bool() { connector.defaultPort = input.pick(ports) }
        if input.bool() { connector.happyEyeballsDelay = duration(&input) }
        if input.bool() {
            connector.keepAlive = KeepAlive(
                idle: duration(&input), interval: duration(&input), count: input.int(in: -2...1_000))
        }
        if input.bool() { connector.userTimeout = duration(&input) }
        if input.bool() { connector.writeBufferLimit = input.int(in: -1...Int.max) }
        if input.bool() { connector.ioTimeout = input.pick([.none, .sameAsConnect, .after(duration(&input))]) }
        do {
            try connector.validate()
        } catch {
            try check(allowed.contains(error.code), "validation refused with \(error.code): \(error.message)")
            try check(!error.message.isEmpty, "a refusal without a message (\(error.code))")
        }
    }
}
