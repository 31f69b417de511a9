import CInetLinux
import InetCore

/// Line I/O (`InetReadLine`, `InetWriteLine`): text lines over a connection, mixed freely with
/// ``Inet/read(_:_:)`` and ``Inet/write(_:_:)``. Both block (up to the handle's timeout, the
/// `nTimeout` it was made with); on an event-driven handle events are paused for the call and
/// resumed after, as the original switched such a socket to blocking and back. Not from an
/// event callback on the loop thread (`wouldDeadlock`): call them from a worker or pump thread.
extension Inet {
    /// `InetReadLine`: reads one line into `line` (UTF-8; invalid bytes become U+FFFD): up to LF,
    /// or `maxLength` bytes, whichever comes first. CR, LF and NUL bytes are dropped. Returns
    /// true when a line was read. False on timeout, error or end of stream — `line` may still
    /// hold text read before it (use it). Bytes read past the line stay buffered for the next
    /// `readLine` or `read`.
    public static func readLine(_ handle: InetHandle, _ line: inout String, _ maxLength: Int = 4096) -> Bool {
        var text: [UInt8] = []
        defer { line = String(decoding: text, as: UTF8.self) }
        do throws(InetError) {
            guard maxLength > 0 else {
                throw InetError(.invalidParameter, "nMaxLength must be at least 1; got \(maxLength)")
            }
            let entry = try HandleTable.lookup(handle)
            let connection = try lineConnection(entry, "readLine")
            try withEventsPaused(entry) { () throws(InetError) in
                while true {
                    let complete = entry.state.withLock { s in
                        Self.takeLine(from: &s.lineBuffer, into: &text, maxLength: maxLength)
                    }
                    if complete { return }
                    let chunk = try blockingRead(entry, connection, maxBytes: 4096)
                    if chunk.isEmpty {
                        throw InetError(.connectionClosed, "the peer closed the connection before the end of the line")
                    }
                    entry.state.withLock { $0.lineBuffer += chunk }
                }
            }
            cinet_set_last_error(0)
            return true
        } catch {
            cinet_set_last_error(error.legacyCode)
            return false
        }
    }

    /// Moves bytes of `buffer` into `text` up to and including an LF (dropped with CR and NUL),
    /// or until `text` has `maxLength` bytes. True when the line is complete.
    static func takeLine(from buffer: inout [UInt8], into text: inout [UInt8], maxLength: Int) -> Bool {
        var used = 0
        defer { buffer.removeFirst(used) }
        for byte in buffer {
            if text.count >= maxLength { return true }
            used += 1
            switch byte {
            case 0x0A: return true
            case 0x0D, 0x00: continue
            default: text.append(byte)
            }
        }
        return text.count >= maxLength
    }

    /// `InetWriteLine`: sends `line` and CRLF (a trailing bare CR or LF becomes CRLF; text after
    /// a NUL is dropped), as UTF-8, blocking until all of it is accepted. True on success.
    public static func writeLine(_ handle: InetHandle, _ line: String) -> Bool {
        do throws(InetError) {
            let entry = try HandleTable.lookup(handle)
            let connection = try lineConnection(entry, "writeLine")
            try blockingWrite(entry, connection, lineBytes(line))
            cinet_set_last_error(0)
            return true
        } catch {
            cinet_set_last_error(error.legacyCode)
            return false
        }
    }

    /// The bytes `writeLine` sends for `line`.
    static func lineBytes(_ line: String) -> [UInt8] {
        var bytes = Array(line.utf8.prefix { $0 != 0 })
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        bytes += [0x0D, 0x0A]
        return bytes
    }

    private static func lineConnection(_ entry: HandleEntry, _ what: String) throws(InetError) -> Connection {
        let connection = try anyConnection(entry)
        if connection.eventLoop.inEventLoop {
            throw InetError(
                .wouldDeadlock, "\(what) blocks: call it from a worker or pump thread, not from an event callback")
        }
        return connection
    }

    /// Runs `body` with an event-driven handle's events paused (resumed after, re-firing read
    /// when data waits, unless the application had disabled them); for other handles just runs it.
    private static func withEventsPaused(_ entry: HandleEntry, _ body: () throws(InetError) -> Void) throws(InetError) {
        guard case .events(let events, _) = entry.kind, events.eventsEnabled else { return try body() }
        try events.disableEvents()
        defer { try? events.enableEvents() }
        try body()
    }
}
