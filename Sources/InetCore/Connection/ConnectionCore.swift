import CInetLinux
import DequeModule
import Glibc
import InetTLS
import Logging
import Synchronization

/// The loop-side state of one socket (TCP stream or connected UDP).
///
/// Invariant: every method runs on `loop`'s thread; the public ``Connection`` hops here.
/// Reads are on demand: bytes are taken from the kernel only when a read is pending, so a slow
/// reader pushes back through TCP flow control. Writes try the syscall first and queue the rest.
// Hot loop-confined state is marked `@exclusivity(unchecked)`: each access would otherwise pay a
// dynamic exclusivity check (a thread-local access set), about a fifth of the per-event cost
// measured with callgrind. Safe because these are plain loads and stores, or mutations (the
// write queue's flush) that call nothing which could touch the same property; the wait queues,
// whose completions may call back into the core, stay checked.
final class ConnectionCore {
    // Split by concern: this file (state, events, reads, writes), +Close (half-close, close,
    // failure), +TLS (handshake and ciphertext). Stored state is module-internal for those
    // extensions; like every method, it is touched only on `loop`'s thread.
    let loop: EventLoop
    let proto: InetProtocol
    /// Where the socket is in its life, with the data of that stage (see `ConnectionState`).
    @exclusivity(unchecked) var state: ConnectionState
    // What edge-triggered epoll told of the socket: knowledge beside the state machine, not a
    // stage of it (see `Flow`). Both false before connect and after close.
    /// Input may be waiting: set by every read edge; cleared by `EAGAIN` and by a short plain-TCP
    /// read (the kernel queue was empty then; a later arrival raises a new edge).
    @exclusivity(unchecked) var readable = false
    /// The socket can take bytes: cleared by `EAGAIN` or a partial write, set by the next
    /// EPOLLOUT edge.
    @exclusivity(unchecked) var writable = false
    /// The error the peer's reset left, once reading `SO_ERROR` for the disconnect report has
    /// taken it from the socket (the kernel then reports a plain end of stream): reads fail
    /// with it instead of returning end of stream.
    @exclusivity(unchecked) var peerResetError: InetError?
    @exclusivity(unchecked) var descriptor: SocketDescriptor?
    @exclusivity(unchecked) var token: RegistrationToken?

    /// The descriptor is close-on-exec, so closing it also ends its epoll registration (no
    /// child process can hold it open): no `EPOLL_CTL_DEL` is needed before `close`.
    @exclusivity(unchecked) var closeOnExec = true
    /// The peer's address as connected to or accepted from (no getpeername).
    @exclusivity(unchecked) var knownRemoteAddress: SocketAddress?
    /// The local address once asked for (getsockname on first use, on the loop).
    @exclusivity(unchecked) var knownLocalAddress: SocketAddress?
    /// The TLS session of a secure connection (ciphertext on the socket, plaintext to callers).
    @exclusivity(unchecked) var tls: TLSEngine?
    /// Plaintext bytes decrypted so far (named in a truncation error).
    @exclusivity(unchecked) var plaintextReceived = 0
    /// Clients with session resumption: where to keep this connection's session when it ends.
    @exclusivity(unchecked) var sessionKey: TLSSessionCache.Key?
    /// Reported to callers in errors ("host" as the caller named it).
    @exclusivity(unchecked) var host: String?
    /// How the peer ended its side (a `PeerEnd` raw value; 0 while open or never seen). Atomic,
    /// so ``Connection/peerEnd`` reads it from any thread; written once, on the loop.
    let peerEndRecord = Atomic<UInt8>(0)
    /// The event layer listening to this connection (InetEvents), if any.
    @exclusivity(unchecked) var eventSink: ConnectionEventSink?

    @exclusivity(unchecked) var writeQueue = WriteQueue()
    /// Set only when the connector's logger logs at debug level (then: why it closed).
    @exclusivity(unchecked) var logger: Logger?
    /// Set only when a metrics backend was bootstrapped (then: counted closed).
    @exclusivity(unchecked) var metrics: ConnectionMetrics?
    /// Reads waiting for data; the payload is the largest chunk wanted.
    @exclusivity(unchecked) var pendingReads = WaitQueue<Int, [UInt8]>()
    /// Writes waiting for room in the queue (backpressure); their bytes are not accepted yet.
    @exclusivity(unchecked) var pendingWrites = WaitQueue<[UInt8], Void>()
    /// The task whose reads share one cancellation handler (see `CancellationScope`).
    @exclusivity(unchecked) var scope = CancellationScope.none
    @exclusivity(unchecked) var scopeGenerations: UInt64 = 0
    @exclusivity(unchecked) var shutdownWaiters: [Completion<Void>] = []
    @exclusivity(unchecked) var closeWaiters: [Completion<Void>] = []
    @exclusivity(unchecked) var closeTimer: ScheduledTask?

    /// Above this many queued bytes, writers wait; they resume below `lowWater`.
    let highWater: Int
    var lowWater: Int { highWater / 2 }
    /// The largest UDP payload over IPv4/IPv6 without jumbograms.
    static let maxDatagram = 65507

    var isDatagram: Bool { proto == .udp }

    init(
        loop: EventLoop, descriptor: consuming SocketDescriptor, protocol proto: InetProtocol,
        state: ConnectionState, highWater: Int
    ) {
        self.loop = loop
        self.proto = proto
        self.state = state
        self.descriptor = .some(descriptor)
        self.highWater = highWater
    }

    deinit { writeQueue.deallocate() }

    /// Registers with the loop; on failure the descriptor is closed.
    func register() throws(InetError) {
        loop.assertInLoop()
        guard let fd = descriptor?.raw else { throw InetError(.connectionClosed, "socket already closed") }
        do {
            token = try loop.register(fd: fd, .connection(self))
        } catch {
            descriptor = nil
            _ = state.close(error, readable: false, secure: false)
            throw error
        }
    }

    var localAddress: SocketAddress? {
        if knownLocalAddress == nil { knownLocalAddress = descriptor?.localAddress }
        return knownLocalAddress
    }
    var remoteAddress: SocketAddress? {
        if knownRemoteAddress == nil { knownRemoteAddress = descriptor?.remoteAddress }
        return knownRemoteAddress
    }
    var isClosed: Bool { state.isClosed }

    /// The input direction has ended (peer's end of stream read, or shut down).
    var inputEnded: Bool { state.flow?.input == .ended }

    // MARK: events

    func handle(_ readiness: Readiness) {
        switch state {
        case .connecting(let operation, let attempt):
            guard readiness.writable else { return }
            // Plain EPOLLOUT means connected: SO_ERROR is read only when the kernel flags a problem.
            finishConnect(
                operation, attempt, readable: readiness.readable,
                failed: readiness.error || readiness.closedBothWays)
        case .handshaking:
            if readiness.readable { readable = true }
            if readiness.writable {
                writable = true
                flushWrites()
            }
            advanceHandshake()
        case .open, .closing:
            if readiness.readable {
                readable = true
                if !pendingReads.isEmpty { serviceReads() }
                eventSink?.connectionReadable()
            }
            // Every event reports EPOLLOUT while the socket has room; it is news only after a
            // would-block or partial write (`writable` false) or while bytes wait in the queue.
            if readiness.writable, !writable || !writeQueue.isEmpty {
                writable = true
                flushWrites()
                eventSink?.connectionWritable()
            }
            if readiness.hangup || readiness.error, let sink = eventSink, state.reportPeerEnd() {
                let pending = descriptor?.pendingError ?? 0
                if pending != 0 {
                    peerResetError = InetError.connectionIO(
                        "read from \(remoteDescription)", errno: pending, host: host)
                }
                sink.connectionPeerClosed(
                    pending == 0
                        ? nil : InetError.connectionIO("connection to \(remoteDescription)", errno: pending, host: host)
                )
            }
        case .closed:
            break
        }
    }

    /// Called when the connect was already complete at `connect()` (UDP, some loopback cases).
    func connectedImmediately() {
        guard case .connecting(let operation, let attempt) = state else {
            return assertionFailure("connectedImmediately in state \(state)")
        }
        // UDP: nothing can be waiting for a socket connected just now, and the socket is already
        // registered (epoll reports a datagram that arrives, or that was queued at registration,
        // as an edge), so no read is presumed: an event handle gets no READ before a datagram.
        finishConnect(operation, attempt, readable: !isDatagram, failed: true)
    }

    /// `failed`: the readiness suggests an error, so ask the socket (SO_ERROR) which one.
    /// The attempt's result goes to its operation once: the state has left `connecting` first.
    private func finishConnect(_ operation: ConnectOperation, _ attempt: Int, readable: Bool, failed: Bool) {
        let error = failed ? descriptor?.pendingError ?? EBADF : 0
        if error == 0 {
            guard state.connected() != nil else { return }
            self.readable = readable
            writable = true
            operation.attemptEnded(attempt, .connected)
        } else {
            closeNow(InetError.system("connect", errno: error))
            operation.attemptEnded(attempt, .failed(errno: error))
        }
    }

    // MARK: reads

    func read(id: UInt64, maxBytes: Int, deadline: Deadline?, _ completion: Completion<[UInt8]>) {
        if let error = refusal(reading: true) { return completion.fail(error) }
        let timer = deadline.map {
            loop.scheduleInLoop(at: $0) { [weak self] in self?.cancelRead(id, InetError(.timedOut, "read timed out")) }
        }
        pendingReads.append(id: id, maxBytes, completion, timer: timer)
        serviceReads()
    }

    func cancelRead(_ id: UInt64, _ error: InetError) { pendingReads.fail(id: id, error) }

    /// A read with nothing to wait for, called on the loop itself (a task running on the loop
    /// executor): the bytes — or `[]` at end of stream — when the engine or socket has them now
    /// and no earlier read waits; nil when the caller must wait. Errors are the slow path's.
    func readNow(maxBytes: Int) throws(InetError) -> [UInt8]? {
        guard let bytes = try readNowIntoScratch(maxBytes: maxBytes) else { return nil }
        return Array(bytes)
    }

    /// `readNow` into the caller's array, replacing its contents and keeping its capacity (no
    /// allocation once it is big enough): the count, 0 at end of stream, nil to wait.
    func readNow(into destination: inout [UInt8], maxBytes: Int) throws(InetError) -> Int? {
        guard let bytes = try readNowIntoScratch(maxBytes: maxBytes) else { return nil }
        destination.removeAll(keepingCapacity: true)
        destination.append(contentsOf: bytes)
        return bytes.count
    }

    /// The bytes a read finds now, in the loop's scratch buffer (valid until the next read).
    private func readNowIntoScratch(maxBytes: Int) throws(InetError) -> UnsafeRawBufferPointer? {
        guard pendingReads.isEmpty else { return nil }
        if let error = refusal(reading: true) { throw error }
        // Edge-triggered: with no edge undrained, the kernel queue was empty when last read and
        // an arrival raises a new edge — a syscall now would only say EAGAIN.
        guard mayHaveInput else { return nil }
        let capacity = isDatagram ? loop.scratch.count : min(max(maxBytes, 1), loop.scratch.count)
        let buffer = UnsafeMutableRawBufferPointer(rebasing: loop.scratch[0..<capacity])
        switch try tryRead(into: buffer) {
        case .bytes(let n): return UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        case .endOfStream: return UnsafeRawBufferPointer(rebasing: buffer[0..<0])
        case .wouldBlock: return nil
        }
    }

    /// A pending read's payload meaning "wake me when input may be there; read nothing"
    /// (`read(into:)` then reads into its caller's buffer itself).
    static let wakeOnly = Int.min

    /// Serves pending reads from the socket while it has data.
    func serviceReads() {
        // The one read path (plain or TLS) is `tryRead`; here it fills the loop's scratch buffer
        // and the bytes are copied out for the waiting caller.
        while let request = pendingReads.first {
            if request.payload == Self.wakeOnly {
                guard mayHaveInput else { return }
                pendingReads.completeFirst(.success([]))  // an empty array: no allocation
                continue
            }
            let capacity = isDatagram ? loop.scratch.count : min(max(request.payload, 1), loop.scratch.count)
            let buffer = UnsafeMutableRawBufferPointer(rebasing: loop.scratch[0..<capacity])
            do throws(InetError) {
                switch try tryRead(into: buffer) {
                case .bytes(let n):
                    pendingReads.completeFirst(.success(Array(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))))
                case .endOfStream:
                    pendingReads.completeFirst(.success([]))
                case .wouldBlock:
                    return
                }
            } catch {
                // TCP: tryRead already failed the connection (every waiter included).
                // UDP: an ICMP error (e.g. port unreachable) fails this read only; UDP goes on.
                guard isDatagram else { return }
                pendingReads.completeFirst(.failure(error))
            }
        }
    }

    // MARK: writes

    func write(id: UInt64, bytes: [UInt8], deadline: Deadline?, _ completion: Completion<Void>) {
        if let error = refusal(reading: false) { return completion.fail(error) }
        if isDatagram, bytes.count > Self.maxDatagram {
            return completion.fail(
                InetError(
                    .messageTooLong, "a UDP datagram holds at most \(Self.maxDatagram) bytes; got \(bytes.count)"))
        }
        if let accepted = writeNow(bytes) { return completion.complete(accepted) }
        let timer = deadline.map {
            loop.scheduleInLoop(at: $0) { [weak self] in
                self?.cancelWrite(
                    id,
                    InetError(
                        .timedOut,
                        "write timed out waiting for the peer to take queued bytes; none of this write was sent"))
            }
        }
        pendingWrites.append(id: id, bytes, completion, timer: timer)
    }

    func cancelWrite(_ id: UInt64, _ error: InetError) { pendingWrites.fail(id: id, error) }

    /// The write's outcome when it need not wait for room (nothing waits ahead and the queue is
    /// under its limit: the bytes are sent or queued); nil when it must wait. Checks done by
    /// `write` (refusal, datagram size) come first.
    func writeNow(_ bytes: [UInt8]) -> Result<Void, InetError>? {
        guard pendingWrites.isEmpty, writeQueue.byteCount < highWater else { return nil }
        return accept(bytes)
    }

    /// `write` for a caller on the loop itself: true when done at once, false when it must wait.
    func writeOnLoop(_ bytes: [UInt8]) throws(InetError) -> Bool {
        if let error = refusal(reading: false) { throw error }
        if isDatagram, bytes.count > Self.maxDatagram {
            throw InetError(
                .messageTooLong, "a UDP datagram holds at most \(Self.maxDatagram) bytes; got \(bytes.count)")
        }
        guard let accepted = writeNow(bytes) else { return false }
        try accepted.get()
        return true
    }

    /// Takes plaintext for sending: encrypted first on a secure connection.
    private func accept(_ bytes: [UInt8]) -> Result<Void, InetError> {
        guard let tls else { return enqueueWire(bytes) }
        return bytes.withUnsafeBytes { encryptAndQueue(tls, $0) }
    }

    /// Encrypts all of `plaintext` and queues the ciphertext (sent at once when the socket can).
    func encryptAndQueue(_ tls: TLSEngine, _ plaintext: UnsafeRawBufferPointer) -> Result<Void, InetError> {
        do throws(TLSError) {
            try tls.write(plaintext)
        } catch {
            let failure = InetError(error, host: host)
            fail(failure)
            return .failure(failure)
        }
        return enqueueWire(tls.takeOutput())
    }

    /// Takes bytes for the wire: straight to the kernel when nothing is queued, else queued.
    func enqueueWire(_ bytes: [UInt8]) -> Result<Void, InetError> {
        if bytes.isEmpty, !isDatagram { return .success(()) }
        guard let fd = descriptor?.raw else { return .failure(InetError(.connectionClosed, "connection closed")) }
        if writeQueue.isEmpty, writable {
            let sent: Int?
            do throws(InetError) {
                sent = try bytes.withRawBytes { raw throws(InetError) in try sendNow(fd, raw) }
            } catch {
                return .failure(error)
            }
            if let sent {
                if sent == bytes.count { return .success(()) }
                writeQueue.append(bytes, from: sent)  // partial: the rest waits for room
                return .success(())
            }
        }
        writeQueue.append(bytes)
        return .success(())
    }

    /// The one direct send (nothing queued, the socket writable), for queued writes and the
    /// event layer's non-blocking ones alike: the bytes the kernel took, or nil on would-block.
    /// A partial stream write or would-block clears `writable` (the next EPOLLOUT edge sets it);
    /// a failure fails a stream connection.
    func sendNow(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(InetError) -> Int? {
        let result: IOResult
        do throws(InetError) {
            result = try Syscall.send(fd, bytes, "write to \(remoteDescription)", host: host)
        } catch {
            if !isDatagram { fail(error) }
            throw error
        }
        switch result {
        case .processed(let sent):
            if sent < bytes.count, !isDatagram { writable = false }
            return sent
        case .wouldBlock, .endOfStream:
            writable = false
            return nil
        }
    }

    func flushWrites() {
        if let fd = descriptor?.raw, !writeQueue.isEmpty, writable {
            switch writeQueue.flush(
                fd: fd, datagrams: isDatagram,
                "write to \(remoteDescription) (\(writeQueue.byteCount) queued bytes unsent)")
            {
            case .drained: break
            case .wouldBlock: writable = false
            case .failed(let error):
                fail(error)
                return
            }
        }
        admitWaitingWriters()
        if writeQueue.isEmpty { queueDrained() }
    }

    /// Bytes accepted but not yet taken by the kernel.
    var hasQueuedBytes: Bool { !writeQueue.isEmpty }

    private func admitWaitingWriters() {
        while !pendingWrites.isEmpty, writeQueue.byteCount < lowWater || writeQueue.isEmpty {
            let waiting = pendingWrites.removeFirst()
            waiting.completion.complete(accept(waiting.payload))
            if isClosed { return }
        }
    }

    /// Why a new read or write cannot start now, if it cannot (the state decides).
    @inline(__always)
    func refusal(reading: Bool) -> InetError? { state.refusal(reading: reading) }

    var remoteDescription: String { remoteAddress?.description ?? "peer" }
}
