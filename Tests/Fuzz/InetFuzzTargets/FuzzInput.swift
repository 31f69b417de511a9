/// Typed values read from a fuzzer's bytes, front to back (as LLVM's `FuzzedDataProvider`):
/// every read consumes what it uses; past the end reads give zeros, so any input is a whole run.
package struct FuzzInput {
    private let bytes: [UInt8]
    private var index = 0

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether every byte was read.
    package var isEmpty: Bool { index >= bytes.count }

    package mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    package mutating func bool() -> Bool { byte() & 1 == 1 }

    /// An integer in `range`, from as few bytes as the range needs.
    package mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(bitPattern: Int64(range.upperBound) &- Int64(range.lowerBound))
        var value: UInt64 = 0
        var covered: UInt64 = 0
        while covered < span {
            value = value << 8 | UInt64(byte())
            covered = covered << 8 | 0xFF
            if covered == .max { break }
        }
        let offset = span == .max ? value : value % (span + 1)
        return Int(truncatingIfNeeded: Int64(range.lowerBound) &+ Int64(bitPattern: offset))
    }

    package mutating func uint32() -> UInt32 { UInt32(truncatingIfNeeded: int(in: 0...Int(UInt32.max))) }

    /// Up to `limit` bytes, the count read first.
    package mutating func bytes(upTo limit: Int) -> [UInt8] {
        let count = int(in: 0...limit)
        let end = min(index + count, bytes.count)
        defer { index = end }
        return index < end ? Array(bytes[index..<end]) : []
    }

    /// One of `choices`.
    package mutating func pick<T>(_ choices: [T]) -> T { choices[int(in: 0...choices.count - 1)] }

    /// Every byte not read yet.
    package mutating func rest() -> [UInt8] {
        defer { index = bytes.count }
        return index < bytes.count ? Array(bytes[index...]) : []
    }
}
