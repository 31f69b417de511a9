/// The life of one connection's socket: a single value whose cases carry their data, and the
/// transitions that move it. Each transition is a `mutating` method that takes an input and
/// returns what the driver (`ConnectionCore`) must do; the core performs it and never assigns a
/// case itself. An input the current state cannot take traps in debug builds.
///
/// ```
/// connecting ──connected──► open ◄──handshakeSucceeded── handshaking
///                            │  └──────beginHandshake──────►┘
///                       requestClose
///                            ▼
///                         closing ──queueDrained(.close)──► closed(error?)
/// ```
/// Every state may go straight to `closed` (`close(_:secure:)`: a failure, an abort, a close
/// before open). `closed` has no outgoing edge: the error it carries is what every later
/// operation reports. Within `open`/`closing`/`handshaking` the `Flow` records the two
/// directions (input ended, FIN pending/sent, peer end reported).
///
/// Concrete, not generic over its payloads: copying a generic instance goes through runtime
/// value witnesses, which cost ~1,000 instructions per round trip on the per-event path
/// (callgrind). The tests build the payloads without sockets.
enum ConnectionState {
    /// A non-blocking connect is in flight for this attempt of a connect operation.
    case connecting(ConnectOperation, attempt: Int)
    /// TCP is connected and the TLS handshake runs; `owner` hears how it ends.
    case handshaking(HandshakeOwner, Flow)
    /// Connected; reads and writes flow as `Flow` says.
    case open(Flow)
    /// `close()` was asked: the socket closes once the write queue drains (or its deadline).
    case closing(Flow)
    /// The descriptor is closed; `nil` after a clean local close, else the error that ended it.
    case closed(InetError?)

    /// What is known of the two directions, while the socket is connected.
    @inline(__always) var flow: Flow? {
        switch self {
        case .open(let flow), .closing(let flow), .handshaking(_, let flow): flow
        case .connecting, .closed: nil
        }
    }

    /// Changes the flow of a connected socket; no effect (a debug trap when `required`) otherwise.
    @inline(__always) mutating func updateFlow(required: Bool = true, _ body: (inout Flow) -> Void) {
        switch self {
        case .open(var flow):
            body(&flow)
            self = .open(flow)
        case .closing(var flow):
            body(&flow)
            self = .closing(flow)
        case .handshaking(let owner, var flow):
            body(&flow)
            self = .handshaking(owner, flow)
        case .connecting, .closed:
            assert(!required, "no flow in state \(self)")
        }
    }

    var isClosed: Bool { if case .closed = self { true } else { false } }
}

/// The two directions of a connected socket. (What edge-triggered readiness told — readable,
/// writable — is not here but beside the machine, in `ConnectionCore`: it changes on every event,
/// and kept in the enum every read or change of it copied the whole state, ~90 instructions per
/// round trip in callgrind.)
struct Flow: Equatable {
    /// The input direction.
    enum Input: Equatable {
        /// Bytes may still come.
        case open
        /// The peer's end of stream was read (or `shutdown(.input)`): reads return end of stream.
        case ended
    }

    /// The output direction.
    enum Output: Equatable {
        /// Writes are accepted.
        case open
        /// `shutdown(.output)` was asked: FIN (after close_notify, for TLS) goes out once the
        /// queue drains; writes are refused.
        case finPending
        /// FIN sent.
        case finSent
    }

    /// What the event layer was told of the peer's end.
    enum PeerEnd: Equatable {
        /// Nothing yet.
        case unreported
        /// The peer's close or reset was reported (once).
        case reported
    }

    var input = Input.open
    var output = Output.open
    var peer = PeerEnd.unreported
}
