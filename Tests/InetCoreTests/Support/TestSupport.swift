import Foundation
import Glibc
import InetTestSupport
@testable import InetCore

/// Paths and small helpers shared by the tests.
enum TestSupport {
    /// The built `inetcat` (see ``ProcessFacts/inetcatPath``).
    static var inetcatPath: String { ProcessFacts.inetcatPath }

    /// Open descriptors of this process (see ``ProcessFacts/openDescriptors``).
    static func openDescriptorCount() -> Int { ProcessFacts.openDescriptors }

    /// Open descriptors by identity (see ``ProcessFacts/openDescriptorSet``): a test can tell the
    /// ones it opened from ones that earlier tests are still closing (those only ever disappear).
    static func openDescriptors() -> Set<String> { ProcessFacts.openDescriptorSet }

    /// See ``InetTestSupport/Checksum``.
    typealias Checksum = InetTestSupport.Checksum

    /// `count` (≤ 960 KiB) pseudo-random bytes that differ from seed to seed.
    static func pattern(_ count: Int, seed: UInt64) -> [UInt8] { Pattern.bytes(count, seed: seed) }

    /// A free port on 127.0.0.1 (bound and released; for peers that cannot report the port they got).
    static func unusedPort(_ proto: InetProtocol = .tcp) throws -> Int {
        let listener = try Listener(address: "127.0.0.1", port: 0, protocol: proto)
        defer { try? listener.blocking.close() }  // blocking: the port is free on return
        return Int(listener.localAddress.port)
    }
}
