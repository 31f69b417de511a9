import Dispatch
import Synchronization
import InetCore

/// Turns a connection's readiness into delegate events by the original API's rules.
/// Invariant: every member is used only on the connection's loop thread.
final class EventDispatcher: ConnectionEventSink, @unchecked Sendable {
    // Safe: handed between threads only to be used on the connection's loop thread.
    /// Held strongly (a weak reference would put every retain of it on the slow path) until
    /// the connection finishes: local close or failed connect.
    @exclusivity(unchecked) var delegate: (any ConnectionDelegate)?
    /// Where callbacks run: nil for the loop thread itself.
    @exclusivity(unchecked) var queue: DispatchQueue?
    /// The loop that owns the connection (for resuming after a queued callback).
    @exclusivity(unchecked) var loop: EventLoop?
    /// The handle given to the delegate. Strong until the connection finishes (local close or a
    /// failed connect), so the loop can deliver to it even if the application let it go.
    @exclusivity(unchecked) var owner: EventConnection?
    @exclusivity(unchecked) var connection: Connection?
    /// The connection as any thread may read it (`EventConnection.connection`): set once, on
    /// the loop, as a retained pointer published with release ordering (an atomic word rather
    /// than a lock: no allocation per connect).
    private let recordedBits = Atomic<UInt>(0)

    /// The recorded connection, from any thread.
    var recorded: Connection? {
        let bits = recordedBits.load(ordering: .acquiring)
        guard bits != 0, let raw = UnsafeRawPointer(bitPattern: bits) else { return nil }
        return Unmanaged<Connection>.fromOpaque(raw).takeUnretainedValue()
    }

    deinit {
        let bits = recordedBits.load(ordering: .acquiring)
        if let raw = UnsafeRawPointer(bitPattern: bits) { Unmanaged<Connection>.fromOpaque(raw).release() }
    }

    /// Whether events are delivered: the state a connection's delivery is in.
    enum Lifecycle {
        /// Delivering (enableEvents).
        case enabled
        /// Held back (disableEvents, or after a disconnect); a read re-fires on enable.
        case disabled
        /// Ended for good: local close or failed connect. No outgoing edge.
        case finished
    }

    /// Whether a read event may fire, per the re-arm rule.
    enum ReadInterest {
        /// The next readable edge makes a read event due.
        case armed
        /// A read event is due.
        case due
        /// One was delivered; the app has not read since.
        case disarmed
    }

    /// Whether a write event may fire.
    enum WriteInterest {
        /// No write event until a write would block or is partial.
        case idle
        /// The next writable edge makes a write event due.
        case armed
        /// A write event is due.
        case due
    }

    /// What the connect and disconnect reports are doing.
    enum Report {
        case none
        case due(InetError?)
        /// Handed to the delegate, with the error it carried.
        case delivered(InetError?)
    }

    /// Whether a callback runs now.
    enum Delivery {
        /// None: `pump` may deliver.
        case idle
        /// A callback runs on the loop thread (a nested `pump` returns at once).
        case delivering
        /// A callback was handed to the caller's queue; the loop waits for it to come back.
        case onQueue
    }

    @exclusivity(unchecked) private(set) var lifecycle = Lifecycle.enabled
    @exclusivity(unchecked) private var read = ReadInterest.armed
    @exclusivity(unchecked) private var write = WriteInterest.idle
    @exclusivity(unchecked) private var connect = Report.none
    @exclusivity(unchecked) private var disconnect = Report.none
    @exclusivity(unchecked) private var delivery = Delivery.idle
    /// With a caller-named queue: the gate every queued callback passes (see `QueueGate`).
    private(set) var gate: QueueGate?

    var finished: Bool { if case .finished = lifecycle { true } else { false } }

    // MARK: from the connect

    func connected(_ result: Result<Connection, InetError>) {
        guard case .none = connect else { return assertionFailure("connected twice") }
        switch result {
        case .success(let connection):
            self.connection = connection
            recordedBits.store(UInt(bitPattern: Unmanaged.passRetained(connection).toOpaque()), ordering: .releasing)
            connection.attachEventSink(self)
            connect = .due(nil)
            write = .due  // the write event fires once right after a successful connect
            if connection.mayHaveInputOnLoop { read = .due }
        case .failure(let error):
            connect = .due(error)
        }
        pump()
    }

    /// Names the queue callbacks run on (before the connect starts).
    func deliver(on queue: DispatchQueue?) {
        self.queue = queue
        gate = queue.map { _ in QueueGate() }
    }

    // MARK: from the connection (loop thread)

    override func connectionReadable() {
        if case .armed = read { read = .due }
        pump()
    }

    override func connectionWritable() {
        if case .armed = write { write = .due }
        pump()
    }

    override func connectionPeerClosed(_ error: InetError?) {
        switch disconnect {
        case .none: disconnect = .due(error)
        case .due(nil) where error != nil:
            // The peer's FIN came first (no error yet) and a read found why before the event
            // went out — TLS: no close_notify (`tlsTruncated`). The event reports what is known
            // when it is delivered (seen under TSan, where the FIN beat the owner's attachment).
            disconnect = .due(error)
            return
        case .due, .delivered: return
        }
        pump()
    }

    // MARK: from the application (loop thread)

    func didRead(_ result: TryReadResult, requested: Int) {
        switch result {
        case .bytes(let n) where n > 0:
            read = .armed
            if connection?.mayHaveMoreInputOnLoop(afterReading: n, of: requested) == true { read = .due }
            pump()
        case .wouldBlock:
            // Nothing was there (TLS: only records that carry no data, such as session tickets):
            // the next arrival fires a read event.
            if case .disarmed = read { read = .armed }
        case .bytes, .endOfStream:
            break
        }
    }

    func didWrite(_ result: TryWriteResult, offered: Int) {
        switch result {
        case .wouldBlock: write = .armed
        case .wrote(let n) where n < offered: write = .armed
        case .wrote: break
        }
    }

    func setEnabled(_ on: Bool) {
        switch lifecycle {
        case .finished: return
        case .enabled, .disabled: lifecycle = on ? .enabled : .disabled
        }
        guard on else { return }
        // Re-fire a read when data is waiting.
        if connection?.hasInputWaitingOnLoop == true { read = .due }
        pump()
    }

    /// Delivered read or write events were dropped unseen (`Inet.disableEvents` purges the
    /// handle's queued messages): arm them again, so they fire once events are enabled — else
    /// the re-arm rule would wait for a read or a write the application never knew to make.
    func redeliver(read droppedRead: Bool, write droppedWrite: Bool) {
        if droppedRead, case .disarmed = read {
            read = connection?.hasInputWaitingOnLoop == true ? .due : .armed
        }
        if droppedWrite, case .idle = write { write = .due }
        pump()
    }

    /// Ends delivery for good and lets the handle go.
    func finish() {
        lifecycle = .finished
        owner = nil
        delegate = nil
    }

    // MARK: delivery

    /// One event to deliver. Payload-free, so taking and dropping one on the per-event path
    /// copies nothing; a connect's or disconnect's error is read from its report when called.
    private enum Due {
        case connect
        case write
        case read
        case disconnect
    }

    /// The next event by the delivery order (connect, write, read, disconnect), taken out of its
    /// state; nil when none is due or delivery is held back.
    private func takeDue() -> Due? {
        if case .due(let error) = connect {
            connect = .delivered(error)
            return .connect
        }
        guard case .enabled = lifecycle else { return nil }
        if case .due = write {
            // Before reads: the write event right after connect comes second, as the original
            // says; later ones fire at most once per would-block, so reads cannot starve.
            write = .idle
            return .write
        }
        if case .due = read {
            read = .disarmed
            return .read
        }
        if case .due(let error) = disconnect {
            disconnect = .delivered(error)
            lifecycle = .disabled  // a disconnect disables events
            return .disconnect
        }
        return nil
    }

    /// The error a delivered connect or disconnect report carried.
    private static func error(of report: Report) -> InetError? {
        if case .delivered(let error) = report { error } else { nil }
    }

    /// Delivers due events in order, one at a time. Called again from inside a callback it
    /// returns at once; the outer loop delivers what came due. On the loop thread this is a
    /// direct call per event: no closure, no allocation.
    func pump() {
        guard case .idle = delivery else { return }
        delivery = .delivering
        // Both present (an owner may be attached after the connect's events came due; they wait
        // for it), then the due event, then the references: the last turn, which finds nothing
        // due, retains nothing.
        while !finished, delegate != nil, owner != nil, let event = takeDue(), let delegate, let owner {
            // Nothing follows a failed connect: finished before its callback runs.
            if case .connect = event, Self.error(of: connect) != nil { finish() }
            guard let queue, let loop, let gate else {
                Self.call(event, delegate, owner, connect, disconnect)
                continue
            }
            // On the caller's queue: the next event waits until this callback has returned,
            // and the gate drops it if events were disabled or closed since it was handed over.
            delivery = .onQueue
            let handed = UncheckedPair(delegate: delegate, owner: owner)
            let me = UnsafeTransfer(self)
            let (connect, disconnect) = (self.connect, self.disconnect)
            queue.async {
                gate.pass { Self.call(event, handed.delegate, handed.owner, connect, disconnect) }
                loop.execute {
                    me.value.delivery = .idle
                    me.value.pump()
                }
            }
            return
        }
        delivery = .idle
    }

    private static func call(
        _ event: Due, _ delegate: any ConnectionDelegate, _ owner: EventConnection,
        _ connect: @autoclosure () -> Report, _ disconnect: @autoclosure () -> Report
    ) {
        switch event {
        case .connect: delegate.connectionDidConnect(owner, error: error(of: connect()))
        case .write: delegate.connectionCanWrite(owner)
        case .read: delegate.connectionCanRead(owner)
        case .disconnect: delegate.connectionDidDisconnect(owner, error: error(of: disconnect()))
        }
    }
}

/// The delegate and handle for one callback, carried to the delivery queue.
private struct UncheckedPair: @unchecked Sendable {  // safe: the callback contract says where they run
    let delegate: any ConnectionDelegate
    let owner: EventConnection
}
