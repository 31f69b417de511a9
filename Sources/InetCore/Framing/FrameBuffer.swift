/// The bytes a ``BufferedReader`` holds: chunks appended at the back, frames taken from the
/// front. Pure (no I/O), so framing is tested and fuzzed without a connection.
struct FrameBuffer {
    /// Bytes held and not yet taken: `storage[start...]`.
    private var storage: [UInt8] = []
    private var start = 0

    /// What a search for a delimited frame found.
    enum Search: Equatable {
        /// The frame (the delimiter consumed, not included).
        case frame([UInt8])
        /// No delimiter yet; the first `scanned` bytes cannot begin one (pass it to the next
        /// search with the same delimiter, after more bytes came, so they are not searched again).
        case needMore(scanned: Int)
    }

    /// How many bytes are held.
    var count: Int { storage.count - start }

    mutating func append(_ bytes: [UInt8]) { storage.append(contentsOf: bytes) }

    /// The first `n` bytes (at most ``count``), removed.
    mutating func take(_ n: Int) -> [UInt8] {
        let bytes = Array(storage[start..<start + n])
        start += n
        compact()
        return bytes
    }

    /// The bytes before the first `delimiter` (at least one byte), or `needMore`. Throws
    /// `messageTooLong` when the frame is longer than `maxBytes`, or when no frame of at most
    /// `maxBytes` can end in what is held; the bytes stay held either way.
    mutating func frame(until delimiter: [UInt8], maxBytes: Int, scanned: Int = 0) throws(InetError) -> Search {
        if let end = find(delimiter, from: start + scanned) {
            // Invariant: a frame longer than maxBytes is refused even when its end is here.
            if end - start > maxBytes { throw Self.tooLong(end - start, maxBytes) }
            let frame = take(end - start)
            start += delimiter.count
            compact()
            return .frame(frame)
        }
        // Without the delimiter, every frame now possible is at least this long.
        if count - (delimiter.count - 1) > maxBytes { throw Self.tooLong(nil, maxBytes) }
        return .needMore(scanned: max(0, count - delimiter.count + 1))
    }

    /// Drops taken bytes once they are most of the storage (amortised O(1) per byte).
    private mutating func compact() {
        if start == storage.count {
            storage.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 4096, start * 2 > storage.count {
            storage.removeSubrange(0..<start)
            start = 0
        }
    }

    private func find(_ delimiter: [UInt8], from index: Int) -> Int? {
        guard storage.count - index >= delimiter.count else { return nil }
        var i = index
        let last = storage.count - delimiter.count
        while i <= last {
            if storage[i] == delimiter[0] {
                var match = true
                for k in 1..<delimiter.count where storage[i + k] != delimiter[k] {
                    match = false
                    break
                }
                if match { return i }
            }
            i += 1
        }
        return nil
    }

    private static func tooLong(_ length: Int?, _ maxBytes: Int) -> InetError {
        let what = length.map { "a frame of \($0) bytes" } ?? "no delimiter within \(maxBytes) bytes"
        return InetError(.messageTooLong, "\(what) (read(until:) allows \(maxBytes); the bytes stay buffered)")
    }
}
