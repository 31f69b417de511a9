import InetTestSupport
import Foundation
import Testing
@testable import InetCore

/// Timeouts, dual-stack names and Happy Eyeballs in network namespaces of the test's own,
/// driven through `inetcat` (the resolver must see the namespace's hosts file, which
/// `ip netns exec` mounts over /etc/hosts for that process only).
@Suite(.serialized) struct NamespaceConnectTests {
    static let hosts = "127.0.0.1 dual.test\n::1 dual.test\n"

    @Test func droppedSynsTimeOutWithin1SecondOfTheTimeout() throws {
        let ns = try Namespace()
        try ns.run(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "9", "-j", "DROP"])
        let start = ContinuousClock.now
        let cat = try ns.start([TestSupport.inetcatPath, "-w", "2", "127.0.0.1", "9"])
        let status = try cat.finish()
        let elapsed = ContinuousClock.now - start
        #expect(status == 1)
        #expect(cat.stderrText.contains("(code 10060)"), "\(cat.stderrText)")
        #expect(cat.stderrText.contains("tried: 127.0.0.1:9 (no answer)"), "\(cat.stderrText)")
        #expect(
            elapsed >= .seconds(2) && elapsed < .seconds(2) + .seconds(1) * ProcessFacts.slowdown, "took \(elapsed)")
    }

    @Test func dualStackNameUsesIPv4ByDefaultAndIPv6WhenPreferred() throws {
        let ns = try Namespace(hosts: Self.hosts)
        let (socat, port) = try Socat.listen("TCP6-LISTEN:0,ipv6only=0,fork,reuseaddr", "PIPE", namespace: ns)
        defer { socat.stop() }

        let v4 = try ns.start([TestSupport.inetcatPath, "-v", "dual.test", "\(port)"])
        #expect(try v4.finish() == 0, "\(v4.stderrText)")
        #expect(v4.stderrText.contains("remote=127.0.0.1:\(port)"), "\(v4.stderrText)")

        let v6 = try ns.start([TestSupport.inetcatPath, "-v", "--prefer-ipv6", "dual.test", "\(port)"])
        #expect(try v6.finish() == 0, "\(v6.stderrText)")
        #expect(v6.stderrText.contains("remote=[::1]:\(port)"), "\(v6.stderrText)")
    }

    @Test func happyEyeballsFallsBackToIPv4WhenIPv6IsDropped() throws {
        let ns = try Namespace(hosts: Self.hosts)
        let (socat, port) = try Socat.listen("TCP4-LISTEN:0,bind=127.0.0.1,fork,reuseaddr", "PIPE", namespace: ns)
        defer { socat.stop() }
        try ns.run(["ip6tables", "-A", "INPUT", "-p", "tcp", "-d", "::1", "--dport", "\(port)", "-j", "DROP"])

        let start = ContinuousClock.now
        let cat = try ns.start([TestSupport.inetcatPath, "-v", "--prefer-ipv6", "-w", "10", "dual.test", "\(port)"])
        try cat.waitForStderr(containing: "connected:")
        let elapsed = ContinuousClock.now - start
        #expect(try cat.finish() == 0)
        #expect(cat.stderrText.contains("remote=127.0.0.1:\(port)"), "\(cat.stderrText)")
        // One 250 ms stagger, not the 10 s timeout.
        #expect(elapsed < .seconds(1) * ProcessFacts.slowdown, "took \(elapsed)")
    }

    @Test func nameNotInHostsWithNoDNSReachableIsTryAgain() throws {
        // The namespace has no route to any DNS server: the lookup fails temporarily (11002).
        let ns = try Namespace(hosts: Self.hosts)
        let cat = try ns.start([TestSupport.inetcatPath, "-w", "5", "missing.test", "80"])
        #expect(try cat.finish() == 1)
        #expect(cat.stderrText.contains("cannot resolve 'missing.test'"), "\(cat.stderrText)")
        #expect(cat.stderrText.contains("(code 11002)"), "\(cat.stderrText)")
    }

    @Test func unreachableNetworkIsReportedAtOnce() throws {
        // The namespace has only loopback: 192.0.2.1 has no route.
        let ns = try Namespace()
        let cat = try ns.start([TestSupport.inetcatPath, "-w", "5", "192.0.2.1", "80"])
        #expect(try cat.finish() == 1)
        #expect(cat.stderrText.contains("(code 10051)"), "\(cat.stderrText)")
    }
}
