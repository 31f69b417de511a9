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

    /// A 64-bit FNV-1a-style hash over 8-byte words, for comparing large transfers cheaply.
    /// Chunk boundaries matter, so both sides hash per received/sent stream through `Stream`.
    struct Checksum: Equatable {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        var count = 0
        private var pending: [UInt8] = []

        mutating func add(_ bytes: [UInt8]) {
            count += bytes.count
            pending += bytes
            let whole = pending.count & ~7
            pending.withUnsafeBytes { raw in
                var i = 0
                while i < whole {
                    value = (value ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01b3
                    i += 8
                }
            }
            pending.removeFirst(whole)
        }

        static func == (a: Checksum, b: Checksum) -> Bool {
            a.value == b.value && a.count == b.count && a.pending == b.pending
        }
    }

    /// 1 MiB of xorshift bytes, made once.
    static let patternSource: [UInt8] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        bytes.withUnsafeMutableBytes { raw in
            for i in stride(from: 0, to: raw.count, by: 8) {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                raw.storeBytes(of: state, toByteOffset: i, as: UInt64.self)
            }
        }
        return bytes
    }()

    /// `count` (≤ 960 KiB) pseudo-random bytes that differ from seed to seed.
    static func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
        let start = Int(seed &* 7919 % UInt64(patternSource.count - count + 1))
        return Array(patternSource[start..<(start + count)])
    }

    /// A free port on 127.0.0.1 (bound and released; for peers that cannot report the port they got).
    static func unusedPort(_ proto: InetProtocol = .tcp) throws -> Int {
        let listener = try Listener(address: "127.0.0.1", port: 0, protocol: proto)
        defer { try? listener.blocking.close() }  // blocking: the port is free on return
        return Int(listener.localAddress.port)
    }
}
