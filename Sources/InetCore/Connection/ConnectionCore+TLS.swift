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
        guard state.beginHandshake(owner) else { return }
        tls = engine
        advanceHandshake()
    }

    /// Runs the handshake as far as the bytes at hand allow.
    func advanceHandshake() {
        guard case .handshaking = state, let tls else { return }
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
                return finishHandshake(
                    .failure(
                        InetError(
                            .tlsHandshakeFailed, "the peer closed the connection during the TLS handshake", host: host))
                )
            case .failed(let error): return finishHandshake(.failure(error))
            }
        }
    }

    private func finishHandshake(_ result: Result<Void, InetError>) {
        guard case .handshaking = state else { return }
        switch result {
        case .success:
            if let owner = state.handshakeSucceeded() { notifyHandshakeEnded(owner, result) }
        case .failure(let error):
            closeNow(error)  // tells the owner
        }
    }

    /// Tells the handshake's owner how it ended (from here or from `closeNow`). The state has
    /// left `handshaking` before this runs, so an owner hears at most once.
    func notifyHandshakeEnded(_ owner: HandshakeOwner, _ result: Result<Void, InetError>) {
        switch owner {
        case .connect(let operation): operation.handshakeEnded(result.map { self })
        case .accept(let handshake): handshake.finish(self, result)
        }
    }

    /// Reads ciphertext from the socket into the engine.
    func readTLSInput(_ tls: TLSEngine) -> TLSInput {
        guard readable, let fd = descriptor?.raw else { return .wouldBlock }
        do throws(InetError) {
            switch try Syscall.read(fd, into: loop.scratch, stream: true, "read from \(remoteDescription)", host: host)
            {
            case .processed(let n):
                tls.feed(UnsafeRawBufferPointer(rebasing: loop.scratch[0..<n]))
                return .fed
            case .endOfStream:
                return .endOfStream
            case .wouldBlock:
                readable = false
                return .wouldBlock
            }
        } catch {
            return .failed(error)
        }
    }

    /// Queues whatever ciphertext the engine produced.
    func flushTLSOutput() {
        guard let tls, tls.pendingOutput > 0 else { return }
        _ = enqueueWire(tls.takeOutput())
    }

    /// Queues close_notify once (secure connections only); true when bytes now wait to be sent.
    func queueCloseNotify() -> Bool {
        guard let tls, !tls.closeNotifySent else { return false }
        // Keep the session for the next connect before the engine closes (resumption on).
        if let sessionKey, let session = tls.resumableSession { TLSSessionCache.store(session, for: sessionKey) }
        tls.close()
        flushTLSOutput()
        return hasQueuedBytes
    }
}
