import CInetLinux
import Glibc
import InetTLS

/// Non-blocking reads and writes for event-driven callers (delegates, the legacy API): they
/// return at once with bytes, end of stream or would-block. Loop thread only.
extension ConnectionCore {
    func tryRead(into buffer: UnsafeMutableRawBufferPointer) throws(InetError) -> TryReadResult {
        if let error = refusal(reading: true) { throw error }
        if readEOF { return .endOfStream }
        if let tls { return try tryReadTLS(tls, into: buffer) }
        guard let fd = descriptor?.raw else { throw InetError(.connectionClosed, "connection closed") }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 || (n == 0 && isDatagram && buffer.count > 0) {
                if n < buffer.count, !isDatagram { readable = false }  // drained (see `readable`)
                return .bytes(n)
            }
            if n == 0 {
                readEOF = true
                return .endOfStream
            }
            let e = cinet_errno()
            if e == EINTR { continue }
            if e == EAGAIN {
                readable = false
                return .wouldBlock
            }
            let error = InetError.system("read from \(remoteDescription)", errno: e, host: host)
            if !isDatagram { fail(error) }
            throw error
        }
    }

    /// Decrypts what the engine holds, reading ciphertext from the socket as needed.
    private func tryReadTLS(_ tls: TLSEngine, into buffer: UnsafeMutableRawBufferPointer) throws(InetError) -> TryReadResult {
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
            case .bytes(let n): return .bytes(n)
            case .closed:
                readEOF = true
                return .endOfStream
            case .needsInput:
                switch readTLSInput(tls) {
                case .fed: continue
                case .wouldBlock: return .wouldBlock
                case .endOfStream:
                    readEOF = true  // TCP closed without close_notify: treated as end of stream
                    return .endOfStream
                case .failed(let error):
                    fail(error)
                    throw error
                }
            }
        }
    }

    /// Copies waiting bytes into `buffer` without consuming them; 0 when none are waiting.
    func tryPeek(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, InetError> {
        if let failure { return .failure(failure) }
        guard case .open = phase, let fd = descriptor?.raw else { return .failure(InetError(.notConnected, "not connected")) }
        if let tls {
            if case .fed = readTLSInput(tls) {}  // take what the socket holds, then look
            return .success(tls.peek(into: buffer))
        }
        let n = Glibc.recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n >= 0 { return .success(n) }
        let e = cinet_errno()
        return e == EAGAIN ? .success(0) : .failure(InetError.system("peek", errno: e, host: host))
    }

    /// The descriptor, for a caller that polls it for readiness (legacy isReadable/isWritable).
    var descriptorForPolling: Int32? { descriptor?.raw }

    /// After a read returned `count` of `requested` bytes: may more be waiting? A short read of a
    /// plain TCP socket drained it (anything arriving later raises a readiness edge), so only a
    /// full read, TLS or UDP needs the exact check — and its syscall.
    func mayHaveMoreInput(afterReading count: Int, of requested: Int) -> Bool {
        if tls == nil, !isDatagram, !readEOF, count < requested { return false }
        return hasInputWaiting
    }

    /// True when input may be waiting, without a syscall: a read edge not yet drained, end of
    /// stream, or decrypted/undecrypted TLS bytes. (False positives cost one would-block read.)
    var mayHaveInput: Bool {
        readable || readEOF || tls?.hasBufferedInput == true
    }

    /// True when a read would return bytes (or end of stream) without waiting.
    var hasInputWaiting: Bool {
        if readEOF { return true }
        if let tls, tls.hasBufferedInput { return true }
        guard let fd = descriptor?.raw else { return false }
        var count: Int32 = 0
        return ioctl(fd, UInt(FIONREAD), &count) == 0 && count > 0
    }

    func tryWrite(_ bytes: UnsafeRawBufferPointer) throws(InetError) -> TryWriteResult {
        if let error = refusal(reading: false) { throw error }
        if isDatagram, bytes.count > Self.maxDatagram {
            throw InetError(.messageTooLong, "a UDP datagram holds at most \(Self.maxDatagram) bytes; got \(bytes.count)")
        }
        if let tls {
            // Ciphertext goes through the queue; refuse only while it is over the limit.
            guard writeQueue.byteCount < highWater else { return .wouldBlock }
            try encryptAndQueue(tls, bytes).get()
            return .wrote(bytes.count)
        }
        guard writeQueue.isEmpty, writable, let fd = descriptor?.raw else { return .wouldBlock }
        while true {
            let sent = cinet_send(fd, bytes.baseAddress, bytes.count)
            if sent >= 0 {
                // A partial stream write means the send buffer is full: the kernel raises an
                // EPOLLOUT edge when room frees (see `handle`).
                if sent < bytes.count, !isDatagram { writable = false }
                return .wrote(sent)
            }
            let e = cinet_errno()
            if e == EINTR { continue }
            if e == EAGAIN {
                writable = false
                return .wouldBlock
            }
            let error = InetError.system("write to \(remoteDescription)", errno: e, host: host)
            if !isDatagram { fail(error) }
            throw error
        }
    }
}
