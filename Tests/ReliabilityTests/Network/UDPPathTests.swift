import Foundation
import InetTestSupport
import Testing
@testable import InetCore

/// UDP across the bed's link (issue 15): what a lossy network does to datagrams is silence, so
/// what Inet can promise is that the errors the network does send are reported — an ICMP
/// port-unreachable from the far host is `connectionRefused` (10061) on the next call — and that
/// what arrives is whole: no datagram corrupted, split or merged, whatever is lost.
@Suite(.serialized, .timeLimit(.minutes(2))) struct UDPPathTests {
    /// One read with a 300 ms timeout, as a result (a `catch where` on a typed throw in a
    /// loop sends this compiler's type checker into a spin).
    static func read(
        _ connection: Connection, timeout: Duration = .milliseconds(300)
    ) async -> Result<
        [UInt8], InetError
    > {
        do { return .success(try await connection.read(timeout: timeout)) } catch { return .failure(error) }
    }

    @Test func portUnreachableFromTheFarHostIsRefusedOnTheNextCall() async throws {
        let bed = try TestBed()
        let group = try await bed.clientGroup()
        var connector = Connector(host: bed.serverV4, port: 9, protocol: .udp, timeout: .seconds(5))
        connector.group = group
        let connection = try await connector.connect()
        try await connection.write("anyone there?")  // the server's kernel answers with ICMP
        let failure = await #expect(throws: InetError.self) { _ = try await connection.read(timeout: .seconds(5)) }
        print("NETBED UDP to a closed port across veth: \(String(describing: failure))")
        #expect(failure?.code == .connectionRefused, "\(String(describing: failure))")
        #expect(failure?.code.legacyCode == 10061)
        try await connection.close()
        try await group.shutdown()
    }

    @Test func datagramsThroughTwentyPercentLossArriveWholeOrNotAtAll() async throws {
        let bed = try TestBed()
        // A fixed port: the namespace is the test's own. (socat does not report a port 0 it got.)
        let port = 7000
        let socat = try bed.server.start(["socat", "-d", "-d", "UDP4-LISTEN:\(port)", "PIPE"])
        _ = try socat.waitForStderr(containing: "listening on")
        defer {
            bed.server.killAll()
            socat.stop()
        }
        // Lost on the way in at the server (a DROP in the sender's own OUTPUT chain is a local
        // firewall, and the kernel tells the sender: the send fails with EPERM).
        try bed.iptables(
            .server,
            [
                "-A", "INPUT", "-i", bed.link, "-p", "udp", "-m", "statistic", "--mode", "random", "--probability",
                "0.2", "-j", "DROP",
            ],
            .ipv4)
        let group = try await bed.clientGroup()
        var connector = Connector(host: bed.serverV4, port: port, protocol: .udp, timeout: .seconds(5))
        connector.group = group
        let connection = try await connector.connect()
        var whole = 0
        var lost = 0
        for i in 0..<100 {
            let datagram = Pattern.bytes(1000, seed: UInt64(i))
            try await connection.write(datagram)
            let echo: Result<[UInt8], InetError> = await Self.read(connection)
            switch echo {
            case .success(let bytes):
                #expect(bytes == datagram, "datagram \(i) came back changed (\(bytes.count) bytes)")
                whole += 1
            case .failure(let error):
                #expect(error.code == .timedOut, "\(error)")
                lost += 1
            }
        }
        print("NETBED UDP over 20% loss: \(whole) of 100 echoed whole, \(lost) lost (no error)")
        #expect(whole + lost == 100)
        #expect(lost > 0 && whole > 50)
        #expect(try bed.hits(.server, "DROP") == lost)
        try await connection.close()
        try await group.shutdown()
    }

    /// A datagram that fits the first link (1500) but not the router's next hop (1280): the
    /// router drops it and says so (ICMP fragmentation needed / packet too big), and the next
    /// call reports `messageTooLong` (EMSGSIZE, 10040) naming the path MTU — not silence. The
    /// kernel has learned the path MTU by then, so the same datagram sent again is fragmented
    /// and arrives whole.
    @Test(arguments: [false, true])
    func aDatagramAboveThePathMTUIsReportedNotSilent(ipv6: Bool) async throws {
        let bed = try TestBed(farMTU: 1280)
        let port = 7000
        let listen = ipv6 ? "UDP6-LISTEN:\(port)" : "UDP4-LISTEN:\(port)"
        let socat = try bed.server.start(["socat", "-d", "-d", listen, "PIPE"])
        _ = try socat.waitForStderr(containing: "listening on")
        defer {
            bed.server.killAll()
            socat.stop()
        }
        let group = try await bed.clientGroup()
        var connector = Connector(
            host: ipv6 ? bed.serverV6 : bed.serverV4, port: port, protocol: .udp, timeout: .seconds(5))
        connector.group = group
        let connection = try await connector.connect()
        let small = Pattern.bytes(200, seed: 1)
        try await connection.write(small)
        #expect(try await connection.read(timeout: .seconds(5)) == small, "the routed path works")

        let big = Pattern.bytes(1400, seed: 2)
        try await connection.write(big)  // the kernel takes it; the router cannot forward it
        let failure: Result<[UInt8], InetError> = await Self.read(connection, timeout: .seconds(5))
        print("NETBED UDP\(ipv6 ? "v6" : "v4") 1400-byte datagram over a 1280-byte hop: \(failure)")
        guard case .failure(let error) = failure else {
            Issue.record("the oversized datagram came back: \(failure)")
            return
        }
        #expect(error.code == .messageTooLong, "\(error)")
        #expect(error.code.legacyCode == 10040)
        #expect(error.message.contains("path MTU"), "\(error.message)")
        #expect(error.message.contains("1280"), "the learned path MTU is named: \(error.message)")

        try await connection.write(big)  // fragmented now: the path MTU is known
        #expect(try await connection.read(timeout: .seconds(5)) == big, "the same datagram, sent again, arrives whole")
        try await connection.close()
        try await group.shutdown()
    }
}
