import Testing
@testable import InetCore

@Suite struct AddressTests {
    @Test func literalsParseAndPrint() throws {
        let v4 = try #require(SocketAddress(ipLiteral: "127.0.0.1", port: 80))
        #expect(v4.description == "127.0.0.1:80")
        #expect(v4.family == .ipv4)
        let v6 = try #require(SocketAddress(ipLiteral: "::1", port: 8443))
        #expect(v6.description == "[::1]:8443")
        #expect(v6.family == .ipv6)
        #expect(SocketAddress(ipLiteral: "localhost", port: 1) == nil)
        #expect(SocketAddress(ipLiteral: "1.2.3.999", port: 1) == nil)
        #expect(SocketAddress(ipLiteral: "0.0.0.0", port: 0)!.isUnspecified)
    }

    @Test func orderingInterleavesStartingWithIPv4ByDefault() {
        let a4 = SocketAddress(ipLiteral: "127.0.0.1", port: 1)!
        let b4 = SocketAddress(ipLiteral: "127.0.0.2", port: 1)!
        let a6 = SocketAddress(ipLiteral: "::1", port: 1)!
        let b6 = SocketAddress(ipLiteral: "::2", port: 1)!
        let input = [a6, b6, a4, b4]
        #expect(AddressOrdering.order(input, preferIPv6: false, machineHasIPv6: true) == [a4, a6, b4, b6])
        #expect(AddressOrdering.order(input, preferIPv6: true, machineHasIPv6: true) == [a6, a4, b6, b4])
        // preferIPv6 is ignored without IPv6 on the machine.
        #expect(AddressOrdering.order(input, preferIPv6: true, machineHasIPv6: false) == [a4, a6, b4, b6])
        // A name with only IPv6 uses IPv6 regardless.
        #expect(AddressOrdering.order([a6, b6], preferIPv6: false, machineHasIPv6: true) == [a6, b6])
    }

    @Test func systemResolverReadsHostsAndReportsUnknownNames() throws {
        let addresses = try SystemResolver().resolve(host: "localhost", port: 9, protocol: .tcp)
        #expect(addresses.contains(SocketAddress(ipLiteral: "127.0.0.1", port: 9)!))
        #expect(throws: InetError.self) {
            try SystemResolver().resolve(host: "no-such-host.invalid", port: 9, protocol: .tcp)
        }
    }
}
