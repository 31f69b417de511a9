import Testing
@testable import InetCore

/// Every bad connector input fails with its own error before any socket is made.
@Suite struct ConnectorValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let connector: Connector
        let code: InetErrorCode
        let mentions: String
        var testDescription: String { label }
    }

    static func make(
        _ host: String = "127.0.0.1", port: Int = 80, proto: InetProtocol = .tcp,
        options: InetOptions = .default, local: String? = nil, localPort: Int = 0,
        timeout: Duration = .seconds(5)
    ) -> Connector {
        Connector(
            host: host, port: port, protocol: proto, timeout: timeout, options: options,
            localAddress: local, localPort: localPort)
    }

    static let cases: [Case] = [
        Case(label: "empty host", connector: make(""), code: .invalidHostName, mentions: "empty"),
        Case(label: "URL as host", connector: make("http://example.com/"), code: .invalidHostName, mentions: "URL"),
        Case(
            label: "host over 253 bytes", connector: make(String(repeating: "a.", count: 130)), code: .invalidHostName,
            mentions: "253"),
        Case(
            label: "label over 63", connector: make(String(repeating: "a", count: 64) + ".com"), code: .invalidHostName,
            mentions: "63"),
        Case(label: "space in host", connector: make("bad host"), code: .invalidHostName, mentions: "character"),
        Case(label: "bad IPv6 literal", connector: make("::g"), code: .invalidHostName, mentions: "IPv6"),
        Case(label: "empty label", connector: make("a..b"), code: .invalidHostName, mentions: "empty label"),
        Case(label: "port 0 without default", connector: make(port: 0), code: .invalidPort, mentions: "default"),
        Case(label: "port too large", connector: make(port: 65536), code: .invalidPort, mentions: "65536"),
        Case(label: "negative port", connector: make(port: -1), code: .invalidPort, mentions: "-1"),
        Case(
            label: "broadcast with TCP", connector: make(options: [.broadcast]), code: .invalidOptions,
            mentions: "broadcast"),
        Case(
            label: "keepAlive with UDP", connector: make(proto: .udp, options: [.keepAlive]), code: .invalidOptions,
            mentions: "keepAlive"),
        Case(
            label: "noDelay with UDP", connector: make(proto: .udp, options: [.noDelay]), code: .invalidOptions,
            mentions: "noDelay"),
        Case(
            label: "secure with UDP", connector: make(proto: .udp, options: [.secure]), code: .invalidOptions,
            mentions: "secure"),
        Case(
            label: "trustedSite without secure", connector: make(options: [.trustedSite]), code: .invalidOptions,
            mentions: "plaintext"),
        Case(
            label: "secureFallback without secure", connector: make(options: [.secureFallback]), code: .invalidOptions,
            mentions: "plaintext"),
        Case(
            label: "reservedPort with localPort", connector: make(options: [.reservedPort], localPort: 4000),
            code: .invalidOptions, mentions: "reservedPort"),
        Case(
            label: "unknown option bits", connector: make(options: InetOptions(rawValue: 0x8000_0000)),
            code: .invalidOptions, mentions: "unknown"),
        Case(
            label: "local address not an IP", connector: make(local: "not-an-ip"), code: .invalidAddress,
            mentions: "not-an-ip"),
        Case(
            label: "local address of the other family", connector: make("::1", local: "127.0.0.1"),
            code: .addressFamilyNotSupported, mentions: "IPv4"),
        Case(label: "local port too large", connector: make(localPort: 70000), code: .invalidPort, mentions: "70000"),
        Case(label: "zero timeout", connector: make(timeout: .zero), code: .invalidTimeout, mentions: "positive"),
        Case(
            label: "negative timeout", connector: make(timeout: .seconds(-3)), code: .invalidTimeout,
            mentions: "positive"),
        Case(
            label: "huge timeout", connector: make(timeout: .seconds(Int64.max / 2)), code: .invalidTimeout,
            mentions: "24 days"),
    ]

    @Test(arguments: cases)
    func badInputIsRejectedWithItsOwnError(_ c: Case) async {
        do {
            _ = try await c.connector.connect()
            Issue.record("\(c.label): connect succeeded")
        } catch {
            #expect(error.code == c.code, "\(c.label): \(error)")
            #expect(error.message.contains(c.mentions), "\(c.label): \(error.message)")
        }
    }

    @Test func portZeroUsesTheDefaultPort() throws {
        var connector = Self.make(port: 0)
        connector.defaultPort = 7
        try connector.validate()
        connector.defaultPort = 70000
        #expect(throws: InetError.self) { try connector.validate() }
    }

    @Test func legacyOptionBitsKeepTheirPublishedValues() {
        #expect(InetOptions.broadcast.rawValue == 0x1)
        #expect(InetOptions.dontRoute.rawValue == 0x2)
        #expect(InetOptions.keepAlive.rawValue == 0x4)
        #expect(InetOptions.noDelay.rawValue == 0x10)
        #expect(InetOptions.trustedSite.rawValue == 0x800)
        #expect(InetOptions.secure.rawValue == 0x1000)
        #expect(InetOptions.default.contains(.noInherit))
    }

    @Test func acceptedHostForms() throws {
        for host in ["localhost", "example.com", "example.com.", "a-b_c.test", "127.0.0.1", "::1", "[::1]", "fe80::1"] {
            #expect(throws: Never.self, "\(host)") { try Self.make(host).validate() }
        }
    }
}
