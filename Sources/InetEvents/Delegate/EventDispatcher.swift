import Dispatch
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
    /// The connection as any thread may read it (`EventConnection.connection`), set once.
    let recorded = Locked<Connection?>(nil)

    /// Delivery is on (enableEvents/disableEvents); a disconnect turns it off.
    @exclusivity(unchecked) var enabled = true
    /// The connection ended locally or the connect failed: nothing more is delivered.
    @exclusivity(unchecked) var finished = false
    /// A read event may fire (the app has read since the last one).
    @exclusivity(unchecked) var readArmed = true
    /// A write event fires at the next writability (a write would block or was partial).
    @exclusivity(unchecked) var writeArmed = false

    // Due events as flags (cheap to test on every pump), with the rare errors beside them.
    @exclusivity(unchecked) private var connectDue = false
    @exclusivity(unchecked) private var connectError: InetError?
    @exclusivity(unchecked) private var readDue = false
    @exclusivity(unchecked) private var writeDue = false
    @exclusivity(unchecked) private var disconnectDue = false
    @exclusivity(unchecked) private var disconnectError: InetError?
    @exclusivity(unchecked) private var delivering = false

    // MARK: from the connect

    func connected(_ result: Result<Connection, InetError>) {
        switch result {
        case .success(let connection):
            self.connection = connection
            recorded.withLock { $0 = connection }
            connection.attachEventSink(self)
            connectDue = true
            writeDue = true  // the write event fires once right after a successful connect
            if connection.mayHaveInputOnLoop { readDue = true }
        case .failure(let error):
            connectDue = true
            connectError = error
        }
        pump()
    }

    // MARK: from the connection (loop thread)

    override func connectionReadable() {
        if readArmed { readDue = true }
        pump()
    }

    override func connectionWritable() {
        if writeArmed {
            writeArmed = false
            writeDue = true
        }
        pump()
    }

    override func connectionPeerClosed(_ error: InetError?) {
        if !disconnectDue {
            disconnectDue = true
            disconnectError = error
        }
        pump()
    }

    // MARK: from the application (loop thread)

    func didRead(_ result: TryReadResult, requested: Int) {
        switch result {
        case .bytes(let n) where n > 0:
            readArmed = true
            if connection?.mayHaveMoreInputOnLoop(afterReading: n, of: requested) == true { readDue = true }
            pump()
        case .wouldBlock:
            // Nothing was there (TLS: only records that carry no data, such as session tickets):
            // the next arrival fires a read event.
            readArmed = true
        case .bytes, .endOfStream:
            break
        }
    }

    func didWrite(_ result: TryWriteResult, offered: Int) {
        switch result {
        case .wouldBlock: writeArmed = true
        case .wrote(let n) where n < offered: writeArmed = true
        case .wrote: break
        }
    }

    func setEnabled(_ on: Bool) {
        enabled = on
        guard on, !finished else { return }
        // Re-fire a read when data is waiting.
        if connection?.hasInputWaitingOnLoop == true {
            readArmed = true
            readDue = true
        }
        pump()
    }

    /// Ends delivery for good and lets the handle go.
    func finish() {
        finished = true
        owner = nil
        delegate = nil
    }

    // MARK: delivery

    /// One event to deliver.
    private enum Due {
        case connect
        case write
        case read
        case disconnect
    }

    /// Delivers due events in order (connect, write, read, disconnect), one at a time. Called
    /// again from inside a callback it returns at once; the outer loop delivers what came due.
    /// On the loop thread this is a direct call per event: no closure, no allocation.
    func pump() {
        guard !delivering else { return }
        delivering = true
        var handedOff = false
        defer { if !handedOff { delivering = false } }
        while !finished, let delegate, let owner {
            let event: Due
            if connectDue {
                connectDue = false
                if connectError != nil { finish() }  // nothing follows a failed connect
                event = .connect
            } else if !enabled {
                return
            } else if writeDue {
                // Before reads: the write event right after connect comes second, as the original
                // says; later ones fire at most once per would-block, so reads cannot starve.
                writeDue = false
                event = .write
            } else if readDue {
                readDue = false
                readArmed = false
                event = .read
            } else if disconnectDue {
                disconnectDue = false
                enabled = false  // a disconnect disables events
                event = .disconnect
            } else {
                return
            }
            guard let queue, let loop else {
                deliver(event, to: delegate, owner)
                continue
            }
            // On the caller's queue: the next event waits until this callback has returned.
            handedOff = true
            let handed = UncheckedPair(delegate: delegate, owner: owner)
            let (connectError, disconnectError) = (self.connectError, self.disconnectError)
            resumeAfterQueue(queue, loop) {
                Self.call(event, handed.delegate, handed.owner, connectError, disconnectError)
            }
            return
        }
    }

    private func deliver(_ event: Due, to delegate: any ConnectionDelegate, _ owner: EventConnection) {
        switch event {
        case .write: delegate.connectionCanWrite(owner)
        case .read: delegate.connectionCanRead(owner)
        case .connect, .disconnect: Self.call(event, delegate, owner, connectError, disconnectError)
        }
    }

    private static func call(_ event: Due, _ delegate: any ConnectionDelegate, _ owner: EventConnection,
                             _ connectError: InetError?, _ disconnectError: InetError?) {
        switch event {
        case .connect: delegate.connectionDidConnect(owner, error: connectError)
        case .write: delegate.connectionCanWrite(owner)
        case .read: delegate.connectionCanRead(owner)
        case .disconnect: delegate.connectionDidDisconnect(owner, error: disconnectError)
        }
    }

    private func resumeAfterQueue(_ queue: DispatchQueue, _ loop: EventLoop, _ call: @escaping @Sendable () -> Void) {
        let me = self
        queue.async {
            call()
            loop.execute {
                me.delivering = false
                me.pump()
            }
        }
    }
}

/// The delegate and handle for one callback, carried to the delivery queue.
private struct UncheckedPair: @unchecked Sendable {  // safe: the callback contract says where they run
    let delegate: any ConnectionDelegate
    let owner: EventConnection
}
