import CInetLinux
import DequeModule
import Glibc

/// Bytes accepted for sending that the kernel has not taken yet.
///
/// Stream sockets flush with one `sendmsg` over up to ``maxIOVecs`` chunks (gathered writes);
/// datagram sockets send each queued chunk as its own datagram. Chunks are the caller's arrays,
/// kept alive by the queue and never copied.
struct WriteQueue {
    static let maxIOVecs = 64

    enum FlushResult {
        /// Everything queued was sent.
        case drained
        /// The kernel stopped taking bytes; wait for writability.
        case wouldBlock
        /// The send failed with this errno; the queue is left as it was.
        case failed(Int32)
    }

    private var chunks: Deque<[UInt8]> = []
    /// Bytes of `chunks.first` already sent.
    private var headOffset = 0
    /// Bytes not yet sent.
    private(set) var byteCount = 0
    /// Scratch iovec array, allocated on first gathered write and reused after.
    private var iovecs: UnsafeMutablePointer<iovec>?

    var isEmpty: Bool { chunks.isEmpty }

    mutating func append(_ bytes: [UInt8], from offset: Int = 0) {
        guard offset < bytes.count || bytes.isEmpty else { return }
        if chunks.isEmpty { headOffset = offset }
        else if offset != 0 { preconditionFailure("only the first chunk may start part-way") }
        chunks.append(bytes)
        byteCount += bytes.count - offset
    }

    /// Writes as much as the kernel takes.
    mutating func flush(fd: Int32, datagrams: Bool) -> FlushResult {
        while !chunks.isEmpty {
            let sent: Int
            if datagrams {
                sent = chunks[0].withUnsafeBytes { cinet_send(fd, $0.baseAddress, $0.count) }
            } else {
                sent = gatheredSend(fd: fd)
            }
            if sent < 0 {
                let e = cinet_errno()
                if e == EINTR { continue }
                if e == EAGAIN { return .wouldBlock }
                return .failed(e)
            }
            if datagrams {
                byteCount -= chunks.removeFirst().count
            } else {
                consume(sent)
            }
        }
        return .drained
    }

    /// Drops every queued byte (the connection failed); frees nothing else.
    mutating func removeAll() {
        chunks.removeAll()
        headOffset = 0
        byteCount = 0
    }

    /// Frees the iovec scratch space.
    mutating func deallocate() {
        iovecs?.deallocate()
        iovecs = nil
    }

    private mutating func gatheredSend(fd: Int32) -> Int {
        if chunks.count == 1 {
            return chunks[0].withUnsafeBytes { cinet_send(fd, $0.baseAddress! + headOffset, $0.count - headOffset) }
        }
        let vectors = iovecs ?? .allocate(capacity: Self.maxIOVecs)
        iovecs = vectors
        var count = 0
        for (i, chunk) in chunks.prefix(Self.maxIOVecs).enumerated() {
            // The pointer outlives the closure only until `sendmsg` returns below; the queue keeps
            // the array alive and unmodified throughout, and a native array's storage does not move.
            chunk.withUnsafeBytes { raw in
                let skip = i == 0 ? headOffset : 0
                vectors[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + skip), iov_len: raw.count - skip)
            }
            count += 1
        }
        return cinet_sendmsg_iov(fd, vectors, Int32(count))
    }

    private mutating func consume(_ sent: Int) {
        var left = sent
        byteCount -= sent
        while left > 0, let first = chunks.first {
            let available = first.count - headOffset
            if left >= available {
                left -= available
                chunks.removeFirst()
                headOffset = 0
            } else {
                headOffset += left
                left = 0
            }
        }
    }
}
