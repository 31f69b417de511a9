import CInetLinux
import Glibc

/// Half-close, graceful close, abort and failure of a `ConnectionCore`. Loop thread only.
extension ConnectionCore {
    /// Sends FIN once queued bytes are out; later writes fail with `alreadyShutdown`.
    func shutdownOutput(_ completion: Completion<Void>) {
        switch state.requestShutdownOutput() {
        case .refuse(let error): completion.fail(error)
        case .done: completion.succeed(())
        case .wait: shutdownWaiters.append(completion)
        case .begin:
            shutdownWaiters.append(completion)
            if writeQueue.isEmpty && pendingWrites.isEmpty { queueDrained() }
        }
    }

    /// Stops reading: later reads return end-of-stream.
    func shutdownInput() {
        guard let fd = descriptor?.raw, state.flow != nil else { return }
        Syscall.shutdown(fd, CINET_SHUT_RD)
        state.endInput()  // ours, not the peer's: `peerEnd` stays unset
        serviceReads()
    }

    /// Closes once queued bytes are sent (or at `deadline`, failing with `timedOut`).
    func close(deadline: Deadline?, _ completion: Completion<Void>?) {
        switch state.requestClose() {
        case .alreadyClosed:
            completion?.succeed(())
        case .closeNow:
            closeNow(nil)
            completion?.succeed(())
        case .join:
            if let completion { closeWaiters.append(completion) }
        case .drain:
            if let completion { closeWaiters.append(completion) }
            pendingReads.failAll(InetError(.connectionClosed, "connection closed locally"))
            if writeQueue.isEmpty && pendingWrites.isEmpty {
                queueDrained()
            } else if let deadline {
                closeTimer = loop.scheduleInLoop(at: deadline) { [weak self] in
                    guard let self else { return }
                    self.fail(
                        InetError(
                            .timedOut,
                            "close timed out with \(self.writeQueue.byteCount) queued bytes the peer did not take"))
                }
            }
        }
    }

    /// The write queue is empty: a pending FIN or close goes ahead (close_notify first on a
    /// secure connection).
    func queueDrained() {
        var owed = tls.map { !$0.closeNotifySent } ?? false
        while true {
            switch state.queueDrained(closeNotifyOwed: owed, writersWaiting: !pendingWrites.isEmpty) {
            case .nothing:
                return
            case .sayCloseNotify:
                // Bytes now wait to go out: the flush that sends them drains the queue again.
                if queueCloseNotify() || isClosed { return }
                owed = false  // said, and already sent (asked once even if the engine refused)
            case .sendFIN(let thenClose):
                if let fd = descriptor?.raw { Syscall.shutdown(fd, CINET_SHUT_WR) }
                let waiters = shutdownWaiters
                shutdownWaiters = []
                for waiter in waiters { waiter.succeed(()) }
                if thenClose { closeNow(nil) }
                return
            case .close:
                closeNow(nil)
                return
            }
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
        guard let ending = state.close(error, readable: readable, secure: tls != nil, tellOwner: tellOwner) else {
            return
        }
        metrics?.closed()
        metrics = nil
        if let logger {
            let reason =
                error?.description
                ?? (peerEndRecord.load(ordering: .relaxed) != 0 ? "closed after the peer's end" : "closed locally")
            logger.debug(
                "connection closed",
                metadata: [
                    "inet.host": .string(host ?? ""), "inet.address": .string(knownRemoteAddress?.ipAddress ?? ""),
                    "inet.reason": .string(reason),
                ])
        }
        readable = false
        writable = false
        if let token { loop.deregister(token, descriptorClosing: closeOnExec) }
        token = nil
        if error == nil, ending.mayHaveInput { discardUnreadInput() }
        descriptor = nil  // closes the fd
        closeTimer?.cancel()
        writeQueue.removeAll()
        let closed = error ?? InetError(.connectionClosed, "connection closed locally")
        pendingReads.failAll(closed)
        pendingWrites.failAll(closed)
        let shutdowns = shutdownWaiters
        let closes = closeWaiters
        shutdownWaiters = []
        closeWaiters = []
        for s in shutdowns { s.fail(closed) }
        for c in closes {
            if let error { c.fail(error) } else { c.succeed(()) }
        }
        if let owner = ending.owner { notifyHandshakeEnded(owner, .failure(closed)) }
        // A failure found by a read or write (a reset, a TLS truncation) ends the connection
        // inside the application's own call: the event layer hears of it here, since no
        // readiness edge will come for a closed socket. It delivers one disconnect at most.
        if let error { eventSink?.connectionPeerClosed(error) }
    }
}
