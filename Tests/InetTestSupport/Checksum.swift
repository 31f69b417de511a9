/// A 64-bit FNV-1a-style hash over 8-byte words, for comparing large transfers cheaply.
/// Chunk boundaries do not matter: bytes short of a word wait for the next `add`.
public struct Checksum: Equatable, Sendable, CustomStringConvertible {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    /// Bytes added.
    public private(set) var count = 0
    private var pending: [UInt8] = []

    public init() {}

    public mutating func add(_ bytes: [UInt8]) {
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

    public var description: String { "\(count) bytes, hash \(String(value, radix: 16))" }

    public static func == (a: Checksum, b: Checksum) -> Bool {
        a.value == b.value && a.count == b.count && a.pending == b.pending
    }
}

/// Pseudo-random test bytes that differ from seed to seed.
public enum Pattern {
    /// 1 MiB of xorshift bytes, made once.
    static let source: [UInt8] = {
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

    /// `count` (≤ 960 KiB) bytes starting at a place chosen by `seed`.
    public static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        let start = Int(seed &* 7919 % UInt64(source.count - count + 1))
        return Array(source[start..<(start + count)])
    }
}
