import CInetLinux
import Glibc

/// Half-close, graceful close, abort and failure of a `ConnectionCore`. Loop thread only.
extension ConnectionCore {
    /// Sends FIN once queued bytes are out; later writes fail with `alreadyShutdown`.
    func shutdownOutput(_ completion: Completion<Void>) {
        if let failure { return completion.fail(failure) }
        switch phase {
        case .open: break
        case .connecting, .handshaking, .closing, .closed:
            return completion.fail(InetError(.connectionClosed, "connection closed"))
        }
        switch output {
        case .shutDown: return completion.succeed(())
        case .shutdownPending: shutdownWaiters.append(completion)
        case .open:
            output = .shutdownPending
            shutdownWaiters.append(completion)
            if writeQueue.isEmpty && pendingWrites.isEmpty { queueDrained() }
        }
    }

    /// Stops reading: later reads return end-of-stream.
    func shutdownInput() {
        guard let fd = descriptor?.raw else { return }
        _ = Glibc.shutdown(fd, CINET_SHUT_RD)
        readEOF = true
        serviceReads()
    }

    /// Closes once queued bytes are sent (or at `deadline`, failing with `timedOut`).
    func close(deadline: Deadline?, _ completion: Completion<Void>?) {
        switch phase {
        case .closed:
            completion?.succeed(())
            return
        case .connecting, .handshaking:
            closeNow(nil)
            completion?.succeed(())
            return
        case .closing:
            if let completion { closeWaiters.append(completion) }
            return
        case .open:
            break
        }
        phase = .closing
        if let completion { closeWaiters.append(completion) }
        pendingReads.failAll(InetError(.connectionClosed, "connection closed locally"))
        if writeQueue.isEmpty && pendingWrites.isEmpty {
            queueDrained()
        } else if let deadline {
            closeTimer = loop.scheduleInLoop(at: deadline) { [weak self] in
                guard let self else { return }
                self.fail(InetError(
                    .timedOut, "close timed out with \(self.writeQueue.byteCount) queued bytes the peer did not take"))
            }
        }
    }

    func queueDrained() {
        let ending: Bool = {
            if case .shutdownPending = output { return true }
            if case .closing = phase { return true }
            return false
        }()
        // A secure connection says close_notify before FIN or close; wait for it to go out.
        if ending, queueCloseNotify() { return }
        if case .shutdownPending = output, let fd = descriptor?.raw {
            _ = Glibc.shutdown(fd, CINET_SHUT_WR)
            output = .shutDown
            let waiters = shutdownWaiters
            shutdownWaiters = []
            for waiter in waiters { waiter.succeed(()) }
        }
        if case .closing = phase, pendingWrites.isEmpty {
            closeNow(nil)
        }
    }

    /// Closes at once with an RST (`SO_LINGER` 0); queued bytes are dropped.
    func abort() {
        if let fd = descriptor?.raw {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        closeNow(InetError(.connectionAborted, "connection aborted locally"))
    }

    /// A graceful local close first discards what the app left unread (at most 1 MiB): closing a
    /// socket with unread bytes makes the kernel send RST instead of FIN, and the peer would see
    /// a reset (e.g. after unread TLS session tickets) rather than a clean close.
    private func discardUnreadInput() {
        guard let fd = descriptor?.raw, !isDatagram else { return }
        var budget = 1 << 20
        while budget > 0 {
            let n = Glibc.recv(fd, loop.scratch.baseAddress, loop.scratch.count, Int32(MSG_DONTWAIT))
            if n <= 0 { return }
            budget -= n
        }
    }

    /// Ends the connection with `error` (every waiter fails with it) and closes the socket.
    func fail(_ error: InetError) {
        if failure == nil { failure = error }
        closeNow(error)
    }

    /// Closes the socket now. Waiters fail with `error`, or with `connectionClosed` when nil;
    /// close waiters succeed when nil.
    func closeNow(_ error: InetError?) {
        if case .closed = phase { return }
        let handshakeOwner: HandshakeOwner? = if case .handshaking(let owner) = phase { owner } else { nil }
        phase = .closed
        if let token { loop.deregister(token, descriptorClosing: closeOnExec) }
        token = nil
        if error == nil, readable || tls != nil { discardUnreadInput() }
        descriptor = nil  // closes the fd
        closeTimer?.cancel()
        writeQueue.removeAll()
        let closed = error ?? InetError(.connectionClosed, "connection closed locally")
        pendingReads.failAll(closed)
        pendingWrites.failAll(closed)
        let shutdowns = shutdownWaiters, closes = closeWaiters
        shutdownWaiters = []
        closeWaiters = []
        for s in shutdowns { s.fail(closed) }
        for c in closes {
            if let error { c.fail(error) } else { c.succeed(()) }
        }
        if let handshakeOwner { notifyHandshakeEnded(handshakeOwner, .failure(closed)) }
    }
}
