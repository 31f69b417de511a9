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
        /// The send failed; the queue is left as it was.
        case failed(InetError)
    }

    private var chunks: Deque<[UInt8]> = []
    /// Bytes of `chunks.first` already sent.
    private var headOffset = 0
    /// Bytes not yet sent.
    private(set) var byteCount = 0
    /// The most `byteCount` has been: what backpressure let the queue grow to (tests read it).
    private(set) var peakByteCount = 0
    /// Scratch iovec array, allocated on first gathered write and reused after.
    private var iovecs: UnsafeMutablePointer<iovec>?

    var isEmpty: Bool { chunks.isEmpty }

    mutating func append(_ bytes: [UInt8], from offset: Int = 0) {
        guard offset < bytes.count || bytes.isEmpty else { return }
        if chunks.isEmpty {
            headOffset = offset
        } else if offset != 0 {
            preconditionFailure("only the first chunk may start part-way")
        }
        chunks.append(bytes)
        byteCount += bytes.count - offset
        if byteCount > peakByteCount { peakByteCount = byteCount }
    }

    /// Writes as much as the kernel takes.
    mutating func flush(fd: Int32, datagrams: Bool, _ what: @autoclosure () -> String) -> FlushResult {
        while !chunks.isEmpty {
            let sent: Int
            do throws(InetError) {
                let result =
                    datagrams
                    ? try chunks[0].withRawBytes { raw throws(InetError) in try Syscall.send(fd, raw, what()) }
                    : try gatheredSend(fd: fd, what())
                guard case .processed(let n) = result else { return .wouldBlock }
                sent = n
            } catch {
                return .failed(error)
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

    private mutating func gatheredSend(fd: Int32, _ what: @autoclosure () -> String) throws(InetError) -> IOResult {
        if chunks.count == 1 {
            let skip = headOffset
            return try chunks[0].withRawBytes { raw throws(InetError) in
                try Syscall.send(fd, UnsafeRawBufferPointer(rebasing: raw[skip...]), what())
            }
        }
        let vectors = iovecs ?? .allocate(capacity: Self.maxIOVecs)
        iovecs = vectors
        var count = 0
        for (i, chunk) in chunks.prefix(Self.maxIOVecs).enumerated() {
            // The pointer outlives the closure only until `sendmsg` returns below; the queue keeps
            // the array alive and unmodified throughout, and a native array's storage does not move.
            chunk.withUnsafeBytes { raw in
                let skip = i == 0 ? headOffset : 0
                vectors[i] = iovec(
                    iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + skip), iov_len: raw.count - skip)
            }
            count += 1
        }
        return try Syscall.sendmsg(fd, vectors, count: count, what())
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
