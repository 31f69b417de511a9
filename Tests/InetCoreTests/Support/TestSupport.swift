import Foundation
import Glibc
@testable import InetCore

/// Paths and small helpers shared by the tests.
enum TestSupport {
    /// The built `inetcat` (next to the test bundle in `.build/<config>/`).
    static var inetcatPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("inetcat").path
            if access(candidate, X_OK) == 0 { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/inetcat"
    }

    /// Open descriptors of this process.
    static func openDescriptorCount() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }

    /// FNV-1a over bytes, for comparing large transfers.
    struct Checksum: Equatable {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        var count = 0
        mutating func add(_ bytes: [UInt8]) {
            for byte in bytes {
                value ^= UInt64(byte)
                value &*= 0x100_0000_01b3
            }
            count += bytes.count
        }
    }

    /// Deterministic pseudo-random bytes (xorshift), so no two chunks are alike.
    static func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// A free TCP port on 127.0.0.1 (bound and released; used where a peer needs a fixed port).
    static func unusedPort() throws -> Int {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        defer { listener.close() }
        return Int(listener.localAddress.port)
    }
}
