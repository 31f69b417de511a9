/// The inputs of `ConnectionState` and the actions they return (see the diagram there).
/// Pure: no syscalls, no completions; `ConnectionState+TransitionsTests` drives every edge.
extension ConnectionState {
    /// What `requestShutdownOutput` asks of the driver.
    enum ShutdownStep: Equatable {
        /// FIN was already sent: succeed now.
        case done
        /// FIN is pending: wait with the others.
        case wait
        /// FIN is now pending: wait, and send it at once if the queue is empty.
        case begin
        /// Not connected (or closing): fail with this error.
        case refuse(InetError)
    }

    /// What `requestClose` asks of the driver.
    enum CloseStep: Equatable {
        /// Already closed: succeed now.
        case alreadyClosed
        /// Not open yet (connecting, handshaking): close now, cleanly.
        case closeNow
        /// A close is already draining: wait for it.
        case join
        /// Now closing: fail pending reads; close once the write queue drains.
        case drain
    }

    /// What `queueDrained` asks of the driver, in this order.
    enum DrainStep: Equatable {
        /// Nothing waits on an empty queue.
        case nothing
        /// Say close_notify first; call `queueDrained` again once it is out.
        case sayCloseNotify
        /// Send FIN (the state now says `finSent`); then close when `thenClose`.
        case sendFIN(thenClose: Bool)
        /// Close the socket.
        case close
    }

    /// What leaving for `closed` asks of the driver.
    struct Ending {
        /// The handshake's owner, which must hear how the handshake ended.
        var owner: HandshakeOwner?
        /// Unread input may sit in the socket (a clean close discards it so no RST goes out).
        var mayHaveInput: Bool
    }

    /// connecting → open: the non-blocking connect completed. Returns whom to tell.
    mutating func connected() -> (operation: ConnectOperation, attempt: Int)? {
        guard case .connecting(let operation, let attempt) = self else {
            assertionFailure("connected in state \(self)")
            return nil
        }
        self = .open(Flow())
        return (operation, attempt)
    }

    /// open → handshaking: a TLS handshake starts; `owner` hears how it ends.
    mutating func beginHandshake(_ owner: HandshakeOwner) -> Bool {
        guard case .open(let flow) = self else {
            assertionFailure("a handshake starts on an open socket, not in state \(self)")
            return false
        }
        self = .handshaking(owner, flow)
        return true
    }

    /// handshaking → open. Returns the owner to tell; nil (no effect) when no handshake runs,
    /// e.g. it was closed while the last handshake message was in flight.
    mutating func handshakeSucceeded() -> HandshakeOwner? {
        guard case .handshaking(let owner, let flow) = self else { return nil }
        self = .open(flow)
        return owner
    }

    /// `shutdown(.output)`: FIN once the queue drains.
    mutating func requestShutdownOutput() -> ShutdownStep {
        guard case .open(let flow) = self else {
            if case .closed(let error?) = self { return .refuse(error) }
            return .refuse(InetError(.connectionClosed, "connection closed"))
        }
        switch flow.output {
        case .finSent: return .done
        case .finPending: return .wait
        case .open:
            updateFlow { $0.output = .finPending }
            return .begin
        }
    }

    /// `close()`: open → closing (the queue drains first).
    mutating func requestClose() -> CloseStep {
        switch self {
        case .closed: return .alreadyClosed
        case .connecting, .handshaking: return .closeNow
        case .closing: return .join
        case .open(let flow):
            self = .closing(flow)
            return .drain
        }
    }

    /// The write queue is empty. `closeNotifyOwed`: a secure connection has not said
    /// close_notify yet (it goes before FIN or close). `writersWaiting`: writes wait for room
    /// (a closing socket lets them in before it closes).
    mutating func queueDrained(closeNotifyOwed: Bool, writersWaiting: Bool) -> DrainStep {
        guard let flow else { return .nothing }
        let closing = if case .closing = self { true } else { false }
        let finPending = flow.output == .finPending
        if finPending || closing, closeNotifyOwed { return .sayCloseNotify }
        let thenClose = closing && !writersWaiting
        if finPending {
            updateFlow { $0.output = .finSent }
            return .sendFIN(thenClose: thenClose)
        }
        return thenClose ? .close : .nothing
    }

    /// The input direction ended (the peer's end of stream read, or `shutdown(.input)`).
    mutating func endInput() { updateFlow(required: false) { $0.input = .ended } }

    /// The peer's close or reset was seen; true the first time (report it), false after.
    mutating func reportPeerEnd() -> Bool {
        guard flow?.peer == .unreported else { return false }
        updateFlow { $0.peer = .reported }
        return true
    }

    /// Any state → closed(error). Nil when already closed (the first ending wins). `readable`:
    /// readiness says input may wait; `secure`: a TLS session may hold input readiness does not
    /// show. `tellOwner`: false when the handshake's owner is the one closing the socket.
    mutating func close(_ error: InetError?, readable: Bool, secure: Bool, tellOwner: Bool = true) -> Ending? {
        let ending: Ending
        switch self {
        case .closed: return nil
        case .handshaking(let owner, _): ending = Ending(owner: tellOwner ? owner : nil, mayHaveInput: true)
        case .open, .closing: ending = Ending(owner: nil, mayHaveInput: readable || secure)
        case .connecting: ending = Ending(owner: nil, mayHaveInput: false)
        }
        self = .closed(error)
        return ending
    }

    /// Why a new read or write cannot start now, if it cannot.
    @inline(__always)
    func refusal(reading: Bool) -> InetError? {
        // The open case without copying anything (this runs on every read and write).
        if case .open(let flow) = self, reading || flow.output == .open { return nil }
        return slowRefusal(reading: reading)
    }

    private func slowRefusal(reading: Bool) -> InetError? {
        switch self {
        case .open: return InetError(.alreadyShutdown, "cannot write after shutdown(.output)")
        case .connecting, .handshaking: return InetError(.notConnected, "not connected yet")
        case .closing: return InetError(.connectionClosed, "connection closed locally")
        case .closed(let error): return error ?? InetError(.connectionClosed, "connection closed locally")
        }
    }
}
