import CInetLinux
import Glibc
import InetTLS

/// Non-blocking reads and writes for event-driven callers (delegates, the legacy API): they
/// return at once with bytes, end of stream or would-block. Loop thread only.
extension ConnectionCore {
    func tryRead(into buffer: UnsafeMutableRawBufferPointer) throws(InetError) -> TryReadResult {
        // One look at the state on the per-event path: open with input open reads on.
        if case .open(let flow) = state, flow.input == .open {
        } else {
            if let error = refusal(reading: true) { throw error }
            if inputEnded { return .endOfStream }
        }
        if let tls { return try tryReadTLS(tls, into: buffer) }
        guard let fd = descriptor?.raw else { throw InetError(.connectionClosed, "connection closed") }
        let result: IOResult
        do throws(InetError) {
            result = try Syscall.read(
                fd, into: buffer, stream: !isDatagram, "read from \(remoteDescription)", host: host)
        } catch {
            if !isDatagram { fail(error) }
            throw error
        }
        switch result {
        case .processed(let n):
            if n < buffer.count, !isDatagram { readable = false }  // drained (see `Flow.readable`)
            return .bytes(n)
        case .endOfStream:
            if let reset = peerResetError, !isDatagram {
                fail(reset)
                throw reset
            }
            endInput(.finished)
            return .endOfStream
        case .wouldBlock:
            readable = false
            return .wouldBlock
        }
    }

    /// The peer's side has ended (`how`): later reads return end of stream.
    func endInput(_ how: PeerEnd) {
        peerEndRecord.store(how.rawValue, ordering: .releasing)
        state.endInput()
    }

    /// TCP ended without `close_notify`: the read fails with `tlsTruncated` and so does the
    /// connection (OpenSSL, like the RFC, treats the session as broken: nothing more can be
    /// sent or resumed).
    private func truncated(_ tls: TLSEngine) -> InetError {
        peerEndRecord.store(PeerEnd.truncated.rawValue, ordering: .releasing)
        let whereCut = tls.hasPartialRecord ? " in the middle of a TLS record" : ""
        let failure = InetError(
            .tlsTruncated,
            "read from \(remoteDescription): the peer closed TCP\(whereCut) without "
                + "TLS close_notify after \(plaintextReceived) bytes; the data may be truncated", host: host)
        fail(failure)
        return failure
    }

    /// Decrypts what the engine holds, reading ciphertext from the socket as needed.
    private func tryReadTLS(
        _ tls: TLSEngine, into buffer: UnsafeMutableRawBufferPointer
    ) throws(InetError) -> TryReadResult {
        while true {
            let result: TLSEngine.ReadResult
            do throws(TLSError) { result = try tls.read(into: buffer) } catch {
                flushTLSOutput()
                let failure = InetError(error, host: host)
                fail(failure)
                throw failure
            }
            flushTLSOutput()  // post-handshake messages (key updates) may need answers
            switch result {
            case .bytes(let n):
                plaintextReceived &+= n
                return .bytes(n)
            case .closed:
                endInput(.closeNotify)
                return .endOfStream
            case .needsInput:
                switch readTLSInput(tls) {
                case .fed: continue
                case .wouldBlock: return .wouldBlock
                case .endOfStream: throw truncated(tls)
                case .failed(let error):
                    fail(error)
                    throw error
                }
            }
        }
    }

    /// Copies waiting bytes into `buffer` without consuming them; 0 when none are waiting.
    func tryPeek(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, InetError> {
        if case .closed(let error?) = state { return .failure(error) }
        guard case .open = state, let fd = descriptor?.raw else {
            return .failure(InetError(.notConnected, "not connected"))
        }
        if let tls {
            if case .fed = readTLSInput(tls) {}  // take what the socket holds, then look
            return .success(tls.peek(into: buffer))
        }
        do throws(InetError) {
            switch try Syscall.peek(fd, into: buffer, "peek", host: host) {
            case .processed(let n): return .success(n)
            case .wouldBlock, .endOfStream: return .success(0)
            }
        } catch {
            return .failure(error)
        }
    }

    /// The descriptor, for a caller that polls it for readiness (legacy isReadable/isWritable).
    var descriptorForPolling: Int32? { descriptor?.raw }

    /// After a read returned `count` of `requested` bytes: may more be waiting? A short read of a
    /// plain TCP socket drained it (anything arriving later raises a readiness edge), so only a
    /// full read, TLS or UDP needs the exact check — and its syscall.
    func mayHaveMoreInput(afterReading count: Int, of requested: Int) -> Bool {
        if tls == nil, !isDatagram, !inputEnded, count < requested { return false }
        return hasInputWaiting
    }

    /// True when input may be waiting, without a syscall: a read edge not yet drained, end of
    /// stream, or decrypted/undecrypted TLS bytes. (False positives cost one would-block read.)
    var mayHaveInput: Bool {
        readable || inputEnded || tls?.hasBufferedInput == true
    }

    /// True when a read would return bytes (or end of stream) without waiting.
    var hasInputWaiting: Bool {
        if inputEnded { return true }
        if let tls, tls.hasBufferedInput { return true }
        guard let fd = descriptor?.raw else { return false }
        return Syscall.bytesWaiting(fd) > 0
    }

    func tryWrite(_ bytes: UnsafeRawBufferPointer) throws(InetError) -> TryWriteResult {
        if let error = refusal(reading: false) { throw error }
        if isDatagram, bytes.count > Self.maxDatagram {
            throw InetError(
                .messageTooLong, "a UDP datagram holds at most \(Self.maxDatagram) bytes; got \(bytes.count)")
        }
        if let tls {
            // Ciphertext goes through the queue; refuse only while it is over the limit.
            guard writeQueue.byteCount < highWater else { return .wouldBlock }
            try encryptAndQueue(tls, bytes).get()
            return .wrote(bytes.count)
        }
        guard writeQueue.isEmpty, writable, let fd = descriptor?.raw else { return .wouldBlock }
        // A partial stream write means the send buffer is full: the kernel raises an EPOLLOUT
        // edge when room frees (see `handle`).
        guard let sent = try sendNow(fd, bytes) else { return .wouldBlock }
        return .wrote(sent)
    }
}
