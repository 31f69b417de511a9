/// What owns a registered descriptor. A closed set, so the loop dispatches each event with a
/// `switch` — no existential or closure on the per-event path.
enum Registrant {
    case connection(ConnectionCore)
    case listener(ListenerCore)
    case datagram(DatagramCore)

    func handle(_ readiness: Readiness) {
        switch self {
        case .connection(let core): core.handle(readiness)
        case .listener(let core): core.handle(readiness)
        case .datagram(let core): core.handle(readiness)
        }
    }

    func loopShuttingDown() {
        switch self {
        case .connection(let core): core.fail(InetError(.eventLoopShutdown, "the event loop was shut down"))
        case .listener(let core): core.close(InetError(.eventLoopShutdown, "the event loop was shut down"))
        case .datagram(let core): core.close(InetError(.eventLoopShutdown, "the event loop was shut down"))
        }
    }
}

/// A registration's identity: the descriptor and a generation that changes on every register and
/// deregister, so an event queued for a closed descriptor is never delivered to the descriptor's
/// next owner (the fd number may be reused at once; the generation will not match).
struct RegistrationToken: Hashable {
    var fd: Int32
    var generation: UInt32
    var packed: UInt64 { UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd)) }
    init(fd: Int32, generation: UInt32) {
        self.fd = fd
        self.generation = generation
    }
    init(packed: UInt64) {
        fd = Int32(bitPattern: UInt32(truncatingIfNeeded: packed))
        generation = UInt32(truncatingIfNeeded: packed >> 32)
    }
}
