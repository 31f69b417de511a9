import Foundation
import Glibc
package import InetCore

/// A small network for impairment tests (issue 15): two namespaces of the test's own, `client`
/// and `server`, joined by a veth pair, each with an IPv4 and an IPv6 address, and a hosts file
/// in the client namespace naming the server `server.test` in both families. Impairments go on
/// one side's egress: random loss (`iptables -m statistic`), rate and queueing (`tc tbf`), a dead
/// path (DROP everything), the link down. All of it goes with the namespaces (deinit).
///
/// Inet runs in-process on an event loop whose thread entered the client namespace
/// (``clientGroup()``): its sockets live there, so its traffic crosses the veth link.
// Safe: immutable after init but `shims`, which only the test's own thread appends to.
package final class TestBed: @unchecked Sendable {
    package enum Side: Sendable { case client, server }

    package let client: Namespace
    package let server: Namespace
    package let clientV4: String
    package let serverV4: String
    package let clientV6: String
    package let serverV6: String
    /// The veth end in each namespace (one name in both).
    package let link = "veth0"

    private static let counter = Namespace.Counter()

    /// With `farMTU`, a third namespace routes between the two: the client's link to it has
    /// `mtu`, its link on to the server `farMTU` (a smaller hop: what path MTU discovery is
    /// for). The server is then in a subnet of its own, reached through the router.
    package let router: Namespace?

    package init(mtu: Int = 1500, farMTU: Int? = nil) throws {
        let n = TestBed.counter.next() % 250 + 1
        let routed = farMTU != nil
        clientV4 = "10.77.\(n).1"
        serverV4 = routed ? "10.78.\(n).2" : "10.77.\(n).2"
        clientV6 = "fd77:0:0:\(n)::1"
        serverV6 = routed ? "fd78:0:0:\(n)::2" : "fd77:0:0:\(n)::2"
        client = try Namespace(hosts: "\(serverV4) server.test\n\(serverV6) server.test\n")
        server = try Namespace()
        router = routed ? try Namespace() : nil
        // No duplicate address detection (the link-local address too, so set before the link
        // exists): while an address is tentative the first IPv6 packets wait, and a test would
        // see IPv6 as "slow" (Happy Eyeballs would rightly pick IPv4).
        for ns in [client, server] + (router.map { [$0] } ?? []) {
            try ns.run(["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"])
        }
        if let router, let farMTU {
            try router.run(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
            try Self.pair(client, link, router, "veth0", mtu: mtu)
            try Self.pair(router, "veth1", server, link, mtu: farMTU)
            try Self.address(router, "veth0", "10.77.\(n).254/24", "fd77:0:0:\(n)::fe/64")
            try Self.address(router, "veth1", "10.78.\(n).254/24", "fd78:0:0:\(n)::fe/64")
            try Self.address(client, link, "\(clientV4)/24", "\(clientV6)/64")
            try Self.address(server, link, "\(serverV4)/24", "\(serverV6)/64")
            for (ns, v4, v6) in [
                (client, "10.77.\(n).254", "fd77:0:0:\(n)::fe"), (server, "10.78.\(n).254", "fd78:0:0:\(n)::fe"),
            ] {
                try Peer.run(["ip", "-n", ns.name, "route", "add", "default", "via", v4])
                try Peer.run(["ip", "-n", ns.name, "-6", "route", "add", "default", "via", v6])
            }
        } else {
            try Self.pair(client, link, server, link, mtu: mtu)
            try Self.address(client, link, "\(clientV4)/24", "\(clientV6)/64")
            try Self.address(server, link, "\(serverV4)/24", "\(serverV6)/64")
        }
        // An address stays tentative until the kernel's link watch has seen the carrier come up
        // on both ends (deferred, up to a second): wait for that, at most 5 s.
        let deadline = Deadline.after(.seconds(5))
        for ns in [client, server] + (router.map { [$0] } ?? []) {
            while case let tentative = try ns.run(["ip", "-6", "addr", "show", "tentative"]), !tentative.isEmpty {
                guard deadline.remaining > .zero else {
                    throw PeerError("\(ns.name): IPv6 addresses still tentative after 5 s: \(tentative)")
                }
                usleep(10_000)
            }
        }
    }

    /// A veth pair: `aLink` in `a`, `bLink` in `b`, both with `mtu`.
    private static func pair(_ a: Namespace, _ aLink: String, _ b: Namespace, _ bLink: String, mtu: Int) throws {
        try Peer.run([
            "ip", "link", "add", "name", aLink, "netns", a.name, "mtu", "\(mtu)", "type", "veth",
            "peer", "name", bLink, "netns", b.name, "mtu", "\(mtu)",
        ])
    }

    /// Gives `dev` in `ns` an IPv4 and an IPv6 address (no DAD) and brings it up.
    private static func address(_ ns: Namespace, _ dev: String, _ v4: String, _ v6: String) throws {
        try Peer.run(["ip", "-n", ns.name, "addr", "add", v4, "dev", dev])
        try Peer.run(["ip", "-n", ns.name, "-6", "addr", "add", v6, "dev", dev, "nodad"])
        try Peer.run(["ip", "-n", ns.name, "link", "set", dev, "up"])
    }

    package func namespace(_ side: Side) -> Namespace { side == .client ? client : server }

    /// Which IP families a rule is for.
    package enum Families: Sendable { case ipv4, ipv6, both }

    /// Runs `iptables` and/or `ip6tables` in `side` with `rule`.
    package func iptables(_ side: Side, _ rule: [String], _ families: Families = .both) throws {
        if families != .ipv6 { try namespace(side).run(["iptables"] + rule) }
        if families != .ipv4 { try namespace(side).run(["ip6tables"] + rule) }
    }

    /// Drops each packet `side` sends with `probability` (0…1); `match` narrows it (e.g.
    /// `["-p", "tcp", "--tcp-flags", "SYN,ACK", "SYN"]` for SYNs only).
    package func dropRandomly(
        _ side: Side, probability: Double, match: [String] = [], _ families: Families = .both
    ) throws {
        let p = String(format: "%.4f", probability)
        try iptables(
            side,
            ["-A", "OUTPUT", "-o", link] + match + [
                "-m", "statistic", "--mode", "random", "--probability", p, "-j", "DROP",
            ],
            families)
    }

    /// Drops everything `side` sends and receives on the link (of `families`): the path is dead
    /// (the link stays up, so nobody is told).
    package func killPath(_ side: Side = .server, _ families: Families = .both) throws {
        try iptables(side, ["-A", "INPUT", "-i", link, "-j", "DROP"], families)
        try iptables(side, ["-A", "OUTPUT", "-o", link, "-j", "DROP"], families)
    }

    /// Packets that `side`'s IPv4 rules jumping to `target` ("DROP", "TEE", "NFQUEUE") matched
    /// (`iptables-save -c`), so a test can show its impairment was really applied.
    package func hits(_ side: Side, _ target: String) throws -> Int {
        try namespace(side).run(["iptables-save", "-c"]).split(separator: "\n").reduce(0) { sum, line in
            guard line.hasPrefix("["), line.contains(" -j \(target)"),
                let counts = line.dropFirst().split(separator: "]").first,
                let packets = counts.split(separator: ":").first.flatMap({ Int($0) })
            else { return sum }
            return sum + packets
        }
    }

    /// TCP segments `side` has retransmitted so far (`nstat`'s TcpRetransSegs).
    package func retransmissions(_ side: Side) throws -> Int { try counter(side, "TcpRetransSegs") }

    /// One of the kernel's TCP counters in `side`'s namespace (`nstat -az NAME`: e.g.
    /// `TcpRetransSegs`, `TcpExtListenOverflows`, `TcpExtSyncookiesSent`).
    package func counter(_ side: Side, _ name: String) throws -> Int {
        let line = try namespace(side).run(["nstat", "-az", name]).split(separator: "\n").last ?? ""
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, fields[0] == name, let count = Int(fields[1]) else {
            throw PeerError("cannot read \(name) from nstat: \(line)")
        }
        return count
    }

    /// Waits (checking every 20 ms, at most `timeout`) until `side` has retransmitted more than
    /// `count` segments; false if it did not.
    package func awaitRetransmissions(_ side: Side, beyond count: Int, timeout: Duration = .seconds(15)) throws -> Bool
    {
        let deadline = Deadline.after(timeout)
        while try retransmissions(side) <= count {
            guard deadline.remaining > .zero else { return false }
            usleep(20_000)
        }
        return true
    }

    /// Removes every rule from `side`'s filter tables (the path comes back).
    package func flush(_ side: Side) throws { try iptables(side, ["-F"]) }

    /// Sends a copy of each packet `side` sends (IPv4) with `probability`, by the kernel's TEE.
    package func duplicateRandomly(_ side: Side, probability: Double) throws {
        let peer = side == .client ? serverV4 : clientV4
        try iptables(
            side,
            [
                "-t", "mangle", "-A", "POSTROUTING", "-o", link, "-p", "tcp", "-m", "statistic", "--mode", "random",
                "--probability", String(format: "%.4f", probability), "-j", "TEE", "--gateway", peer,
            ], .ipv4)
    }

    /// Delays what `side` sends (matching `match`, of `families`) by `delay` ± `jitter` ms,
    /// releasing a share `reorder` at once (so it overtakes), through the NFQUEUE shim. The
    /// shim runs until the bed goes.
    package func delay(
        _ side: Side, ms delay: Int, jitter: Int = 0, reorder: Double = 0, match: [String] = [],
        _ families: Families = .both
    ) throws {
        let queue = shims.count + 1
        let shim = try namespace(side).start([
            try NetShim.path(), "--queue", "\(queue)", "--delay", "\(delay)", "--jitter", "\(jitter)",
            "--reorder", "\(reorder)",
        ])
        _ = try shim.waitForStderr(containing: "nfq-shim: ready")
        shims.append(shim)
        try iptables(
            side,
            ["-A", "OUTPUT", "-o", link] + match + ["-j", "NFQUEUE", "--queue-num", "\(queue)", "--queue-bypass"],
            families)
    }

    private var shims: [Peer] = []

    /// Ends the delay shims (SIGTERM: each releases what it holds) and returns their closing
    /// lines (`nfq-shim: done seen=… overflows=…`); the link is undelayed from then on.
    package func stopShims() -> [String] {
        defer { shims.removeAll() }
        return shims.map { shim in
            shim.interrupt()
            _ = try? shim.finish(timeout: .seconds(5))
            return shim.stderrText.split(separator: "\n").last.map(String.init) ?? "(no output)"
        }
    }

    deinit {
        for shim in shims { shim.stop() }
    }

    /// Limits `side`'s egress to `rate` (tc syntax: "8mbit") with a queue of at most `queue` delay.
    package func limitRate(_ side: Side, rate: String, burst: String = "32kb", queue: String = "200ms") throws {
        try namespace(side).run([
            "tc", "qdisc", "replace", "dev", link, "root", "tbf", "rate", rate, "burst", burst, "latency", queue,
        ])
    }

    /// A one-loop group whose loop thread entered the client namespace (shut it down after use).
    package func clientGroup() async throws -> EventLoopGroup { try await Self.group(in: client) }

    /// A one-loop group whose loop thread entered the server namespace: a `Listener` made on that
    /// loop (e.g. in `withTaskExecutorPreference(group.next())`) listens there.
    package func serverGroup() async throws -> EventLoopGroup { try await Self.group(in: server) }

    private static func group(in namespace: Namespace) async throws -> EventLoopGroup {
        let group = try EventLoopGroup(loopCount: 1)
        let loop = group.next()
        let entered: Result<Void, PeerError> = await withTaskExecutorPreference(loop) {
            do { try ThreadIdentity.enter(namespace) } catch { return .failure(error as! PeerError) }
            return .success(())
        }
        try entered.get()
        return group
    }
}
