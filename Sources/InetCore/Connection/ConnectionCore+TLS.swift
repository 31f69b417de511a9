import CInetLinux
import Glibc
import InetTLS

/// The TLS half of `ConnectionCore`: the handshake, and moving ciphertext between the socket and
/// the engine. Loop thread only, like the rest of the core.
extension ConnectionCore {
    enum TLSInput {
        /// Ciphertext was read and fed to the engine.
        case fed
        /// The socket has nothing now.
        case wouldBlock
        /// The peer closed TCP.
        case endOfStream
        /// The read failed.
        case failed(InetError)
    }

    /// Starts the handshake on a connected socket; `owner` hears how it ends.
    func startHandshake(_ engine: TLSEngine, owner: HandshakeOwner) {
        tls = engine
        phase = .handshaking(owner)
        advanceHandshake()
    }

    /// Runs the handshake as far as the bytes at hand allow.
    func advanceHandshake() {
        guard case .handshaking = phase, let tls else { return }
        while true {
            do throws(TLSError) {
                let done = try tls.handshake()
                flushTLSOutput()
                if done { return finishHandshake(.success(())) }
            } catch {
                flushTLSOutput()  // the alert, so the peer learns why
                return finishHandshake(.failure(InetError(error, host: host)))
            }
            switch readTLSInput(tls) {
            case .fed: continue
            case .wouldBlock: return
            case .endOfStream:
                return finishHandshake(.failure(InetError(
                    .tlsHandshakeFailed, "the peer closed the connection during the TLS handshake", host: host)))
            case .failed(let error): return finishHandshake(.failure(error))
            }
        }
    }

    private func finishHandshake(_ result: Result<Void, InetError>) {
        guard case .handshaking(let owner) = phase else { return }
        switch result {
        case .success:
            phase = .open
            notifyHandshakeEnded(owner, result)
        case .failure(let error):
            closeNow(error)  // tells the owner
        }
    }

    /// Tells the handshake's owner how it ended (from here or from `closeNow`).
    func notifyHandshakeEnded(_ owner: HandshakeOwner, _ result: Result<Void, InetError>) {
        switch owner {
        case .connect(let operation): operation.handshakeFinished(self, result)
        case .accept(let handshake): handshake.finish(self, result)
        }
    }

    /// Reads ciphertext from the socket into the engine.
    func readTLSInput(_ tls: TLSEngine) -> TLSInput {
        guard readable, let fd = descriptor?.raw else { return .wouldBlock }
        while true {
            let n = Glibc.read(fd, loop.scratch.baseAddress, loop.scratch.count)
            if n > 0 {
                tls.feed(UnsafeRawBufferPointer(rebasing: loop.scratch[0..<n]))
                return .fed
            }
            if n == 0 { return .endOfStream }
            let e = cinet_errno()
            if e == EINTR { continue }
            if e == EAGAIN {
                readable = false
                return .wouldBlock
            }
            return .failed(InetError.system("read from \(remoteDescription)", errno: e, host: host))
        }
    }

    /// Queues whatever ciphertext the engine produced.
    func flushTLSOutput() {
        guard let tls, tls.pendingOutput > 0 else { return }
        _ = enqueueWire(tls.takeOutput())
    }

    /// Queues close_notify once (secure connections only); true when bytes now wait to be sent.
    func queueCloseNotify() -> Bool {
        guard let tls, !closeNotifySent else { return false }
        closeNotifySent = true
        // Keep the session for the next connect before the engine closes (resumption on).
        if let sessionKey, let session = tls.resumableSession { TLSSessionCache.store(session, for: sessionKey) }
        tls.close()
        flushTLSOutput()
        return hasQueuedBytes
    }
}
