/// Frames on a TCP ``Connection``: `read(exactly:)`, `read(until:)`, `readLine()`, keeping what it
/// read past a frame for the next call. One reader per connection, used by one task at a time
/// (it is a value: `var reader = connection.bufferedReader()`; its methods are `mutating`).
///
/// Reads go through ``Connection/read(into:maxBytes:timeout:)`` into one reused chunk, so a
/// reader on the connection's loop allocates nothing per read once its buffers have grown.
/// Every call takes an optional `timeout` for the whole frame; by default the connection's.
public struct BufferedReader: Sendable {
    /// The connection read from.
    public let connection: Connection
    /// Bytes read and not yet returned.
    private var buffer = FrameBuffer()
    private var chunk: [UInt8] = []
    private var ended = false

    /// A reader of `connection` (TCP; a UDP connection's datagrams have no byte stream to frame).
    public init(_ connection: Connection) { self.connection = connection }

    /// How many bytes wait in the reader (read from the socket, not yet returned).
    public var bufferedCount: Int { buffer.count }

    /// Exactly `count` bytes. Throws `connectionClosed` (naming how many had arrived) when the
    /// peer closes first; the bytes that did arrive stay buffered.
    public mutating func read(exactly count: Int, timeout: Duration? = nil) async throws(InetError) -> [UInt8] {
        guard count >= 0 else {
            throw InetError(.invalidParameter, "read(exactly:) needs a count of 0 or more; got \(count)")
        }
        let deadline = Self.deadline(timeout)
        while bufferedCount < count {
            guard try await fill(deadline) else {
                throw InetError(
                    .connectionClosed, "the peer closed after \(bufferedCount) of the \(count) bytes asked for")
            }
        }
        return take(count)
    }

    /// The bytes up to `delimiter` (excluded, and consumed), or `nil` when the peer closed with
    /// nothing buffered. Throws `messageTooLong` when the frame is longer than `maxBytes`
    /// (its bytes stay buffered: a later call with a larger limit returns it), and `connectionClosed` when the peer closes inside a frame.
    public mutating func read(
        until delimiter: [UInt8], maxBytes: Int = 65536, timeout: Duration? = nil
    ) async throws(InetError) -> [UInt8]? {
        guard !delimiter.isEmpty else {
            throw InetError(.invalidParameter, "read(until:) needs a delimiter of at least one byte")
        }
        let deadline = Self.deadline(timeout)
        var scanned = 0
        while true {
            switch try buffer.frame(until: delimiter, maxBytes: maxBytes, scanned: scanned) {
            case .frame(let frame): return frame
            case .needMore(let known): scanned = known
            }
            guard try await fill(deadline) else {
                if bufferedCount == 0 { return nil }
                throw InetError(
                    .connectionClosed, "the peer closed inside a frame: \(bufferedCount) bytes without the delimiter")
            }
        }
    }

    /// One line of text (UTF-8): up to LF, with a CR before it dropped; `nil` once the peer closed
    /// and every line was read. A last line without LF is returned as it is.
    public mutating func readLine(maxBytes: Int = 65536, timeout: Duration? = nil) async throws(InetError) -> String? {
        do throws(InetError) {
            guard var line = try await read(until: [0x0A], maxBytes: maxBytes, timeout: timeout) else { return nil }
            if line.last == 0x0D { line.removeLast() }
            return String(decoding: line, as: UTF8.self)
        } catch  where error.code == .connectionClosed && ended {
            var rest = take(bufferedCount)
            if rest.last == 0x0D { rest.removeLast() }
            return String(decoding: rest, as: UTF8.self)
        }
    }

    /// What is buffered, or else what the next read brings (up to `maxBytes`); `[]` once the peer
    /// closed and nothing is left.
    public mutating func read(maxBytes: Int = 65536, timeout: Duration? = nil) async throws(InetError) -> [UInt8] {
        if bufferedCount == 0, !(try await fill(Self.deadline(timeout))) { return [] }
        return take(min(maxBytes, bufferedCount))
    }

    // MARK: buffer

    /// One read from the connection into the buffer; false at the end of the stream.
    private mutating func fill(_ deadline: Deadline?) async throws(InetError) -> Bool {
        guard !ended else { return false }
        let timeout = deadline.map { $0.remaining }
        if let timeout, timeout == .zero { throw InetError(.timedOut, "the frame did not arrive in time") }
        let n = try await connection.read(into: &chunk, timeout: timeout)
        if n == 0 {
            ended = true
            return false
        }
        buffer.append(chunk)
        return true
    }

    private mutating func take(_ count: Int) -> [UInt8] { buffer.take(count) }

    private static func deadline(_ timeout: Duration?) -> Deadline? { timeout.map { Deadline.after($0) } }
}

extension Connection {
    /// A ``BufferedReader`` for framing this connection's bytes.
    public func bufferedReader() -> BufferedReader { BufferedReader(self) }

    /// The connection's text lines (UTF-8, CR LF or LF ended), ending when the peer closes. Each
    /// iteration reads through its own ``BufferedReader``: use one `lines` loop per connection,
    /// not mixed with other reads.
    public var lines: Lines { Lines(connection: self) }

    /// Lines of text from a connection (see ``Connection/lines``).
    public struct Lines: AsyncSequence, Sendable {
        /// A line, without its end.
        public typealias Element = String
        /// Errors are ``InetError``.
        public typealias Failure = InetError
        let connection: Connection

        /// The iterator.
        public struct AsyncIterator: AsyncIteratorProtocol {
            var reader: BufferedReader

            /// The next line, `nil` after the last.
            public mutating func next(
                isolation actor: isolated (any Actor)? = #isolation
            ) async throws(InetError) -> String? {
                try await reader.readLine()
            }

            /// The next line, `nil` after the last.
            public mutating func next() async throws(InetError) -> String? { try await reader.readLine() }
        }

        /// An iterator with a fresh reader.
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: BufferedReader(connection)) }
    }
}
