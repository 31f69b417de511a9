import CInetLinux
import Glibc

/// Half-close, graceful close, abort and failure of a `ConnectionCore`. Loop thread only.
extension ConnectionCore {
    /// Sends FIN once queued bytes are out; later writes fail with `alreadyShutdown`.
    func shutdownOutput(_ completion: Completion<Void>) {
        guard case .open(let flow) = state else {
            if case .closed(let error?) = state { return completion.fail(error) }
            return completion.fail(InetError(.connectionClosed, "connection closed"))
        }
        switch flow.output {
        case .finSent: return completion.succeed(())
        case .finPending: shutdownWaiters.append(completion)
        case .open:
            state.updateFlow { $0.output = .finPending }
            shutdownWaiters.append(completion)
            if writeQueue.isEmpty && pendingWrites.isEmpty { queueDrained() }
        }
    }

    /// Stops reading: later reads return end-of-stream.
    func shutdownInput() {
        guard let fd = descriptor?.raw, state.flow != nil else { return }
        Syscall.shutdown(fd, CINET_SHUT_RD)
        endInput()
        serviceReads()
    }

    /// Closes once queued bytes are sent (or at `deadline`, failing with `timedOut`).
    func close(deadline: Deadline?, _ completion: Completion<Void>?) {
        let flow: Flow
        switch state {
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
        case .open(let open):
            flow = open
        }
        state = .closing(flow)
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

    /// The write queue is empty: a pending FIN or close goes ahead.
    func queueDrained() {
        guard let flow = state.flow else { return }
        let closing = if case .closing = state { true } else { false }
        // A secure connection says close_notify before FIN or close; wait for it to go out.
        if flow.output == .finPending || closing, queueCloseNotify() { return }
        if flow.output == .finPending, let fd = descriptor?.raw {
            Syscall.shutdown(fd, CINET_SHUT_WR)
            state.updateFlow { $0.output = .finSent }
            let waiters = shutdownWaiters
            shutdownWaiters = []
            for waiter in waiters { waiter.succeed(()) }
        }
        if case .closing = state, pendingWrites.isEmpty {
            closeNow(nil)
        }
    }

    /// Closes at once with an RST (`SO_LINGER` 0); queued bytes are dropped.
    func abort() {
        if let fd = descriptor?.raw { Syscall.setLingerZero(fd) }
        closeNow(InetError(.connectionAborted, "connection aborted locally"))
    }

    /// A graceful local close first discards what the app left unread (at most 1 MiB): closing a
    /// socket with unread bytes makes the kernel send RST instead of FIN, and the peer would see
    /// a reset (e.g. after unread TLS session tickets) rather than a clean close.
    private func discardUnreadInput() {
        guard let fd = descriptor?.raw, !isDatagram else { return }
        var budget = 1 << 20
        while budget > 0 {
            let n = Syscall.discard(fd, into: loop.scratch)
            if n <= 0 { return }
            budget -= n
        }
    }

    /// Ends the connection with `error`: every waiter fails with it, the socket closes, and every
    /// later operation reports it.
    func fail(_ error: InetError) { closeNow(error) }

    /// Closes the socket now; the state becomes `closed(error)` (the first ending wins; closed
    /// has no outgoing edge). Waiters fail with `error`, or with `connectionClosed` when nil;
    /// close waiters succeed when nil. A handshake's owner hears how it ended, unless
    /// `tellOwner` is false (the owner itself is closing the socket).
    func closeNow(_ error: InetError?, tellOwner: Bool = true) {
        let handshakeOwner: HandshakeOwner?
        let mayHaveInput: Bool
        switch state {
        case .closed: return
        case .handshaking(let owner, _):
            handshakeOwner = tellOwner ? owner : nil
            mayHaveInput = true
        case .open(let flow), .closing(let flow):
            handshakeOwner = nil
            mayHaveInput = flow.readable || tls != nil
        case .connecting:
            handshakeOwner = nil
            mayHaveInput = false
        }
        state = .closed(error)
        if let token { loop.deregister(token, descriptorClosing: closeOnExec) }
        token = nil
        if error == nil, mayHaveInput { discardUnreadInput() }
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
