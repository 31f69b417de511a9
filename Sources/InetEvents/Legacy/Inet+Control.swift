import CInetLinux
import InetCore

/// Threads, errors, cancel, status, per-event callbacks and flush (`InetAttachThread`,
/// `InetGetLastError`, `InetCancel`, `InetIsBlocking`, `InetGetStatus`, `InetRegisterEvent`,
/// `InetFlush`).
extension Inet {
    // MARK: threads and errors

    /// The calling thread's id (what ``attachThread(_:_:)`` takes).
    public static var currentThreadID: UInt32 { cinet_thread_id() }

    /// `InetAttachThread`: gives the handle to `threadID` (0: the calling thread) and returns the
    /// previous owner; on failure (an invalid handle) `UInt32(bitPattern: INET_ERROR)`, with the
    /// last error set. As the original pages describe, a new worker thread takes a handle by
    /// calling `attachThread(h, 0)` first thing: the call works from any thread (the caller
    /// hands a handle over only while no other thread is blocked on it; ``cancel(_:)`` first).
    public static func attachThread(_ handle: InetHandle, _ threadID: UInt32) -> UInt32 {
        do throws(InetError) {
            let entry = try HandleTable.find(handle)
            let previous = entry.attach(to: threadID == 0 ? cinet_thread_id() : threadID)
            cinet_set_last_error(0)
            return previous
        } catch {
            cinet_set_last_error(error.legacyCode)
            return UInt32(bitPattern: INET_ERROR)
        }
    }

    /// `InetGetLastError`: the calling thread's last error (0: none).
    public static func getLastError() -> UInt32 { cinet_last_error() }

    /// `InetSetLastError`.
    public static func setLastError(_ code: UInt32) { cinet_set_last_error(code) }

    /// `InetGetErrorString`: the description of an error code.
    public static func errorDescription(_ code: UInt32) -> String {
        if code == 0 { return "no error" }
        guard let known = InetErrorCode(legacyCode: code) else { return "unknown error \(code)" }
        return known.summary
    }

    // MARK: cancel and status

    /// `InetCancel`: a blocking call in progress on the handle (read, write, readLine,
    /// writeLine, accept — on another thread) returns at once with "operation canceled"
    /// (`cancelled`); an event-driven handle gets a CANCEL event. Nothing else changes: the
    /// handle stays usable. Returns 0, or ``error`` for an invalid handle. Any thread may call it.
    public static func cancel(_ handle: InetHandle) -> Int32 {
        countCall { () throws(InetError) -> Int in
            let entry = try HandleTable.find(handle)
            entry.cancelBlockingCall()
            if case .events(_, let forwarder) = entry.kind {
                entry.loop.execute { forwarder.post(.cancel, InetError(.cancelled, "operation canceled")) }
            }
            return 0
        }
    }

    /// `InetIsBlocking`: true while a blocking call is in progress on the handle.
    public static func isBlocking(_ handle: InetHandle) -> Bool {
        do throws(InetError) {
            let entry = try HandleTable.find(handle)
            cinet_set_last_error(0)
            return entry.isBlocking
        } catch {
            cinet_set_last_error(error.legacyCode)
            return false
        }
    }

    /// `InetGetStatus`: what the handle is doing (``InetStatus``; `INET_STATUS_UNUSED` for a
    /// handle that is not live, with `invalidHandle` in the last error). Any thread may ask.
    public static func getStatus(_ handle: InetHandle) -> UInt32 {
        do throws(InetError) {
            let entry = try HandleTable.find(handle)
            cinet_set_last_error(0)
            if let busy = entry.state.withLock({ $0.busy?.status }) { return busy.rawValue }
            switch entry.kind {
            case .listener: return InetStatus.listening.rawValue
            case .blocking(let connection):
                return (connection.peerEnd == nil ? InetStatus.idle : .disconnected).rawValue
            case .events(let events, let forwarder):
                guard let connection = events.connection else { return InetStatus.connecting.rawValue }
                return (forwarder.sawDisconnect || connection.peerEnd != nil ? InetStatus.disconnected : .idle).rawValue
            }
        } catch {
            cinet_set_last_error(error.legacyCode)
            return InetStatus.unused.rawValue
        }
    }

    // MARK: callbacks and flush

    /// `InetRegisterEvent`: calls `callback(handle, eventId, error, param)` for `eventId`
    /// (`INET_EVENT_*`) on an event-driven handle (made by asyncConnect, asyncAccept or
    /// asyncListen), beside any message its adapter posts; nil removes it. The callback runs on
    /// the handle's loop thread, where `Inet.*` calls on that handle are allowed (use the
    /// non-blocking ones). Returns 0, or ``error`` (`invalidParameter` for an unknown event id
    /// or a handle made by a blocking call).
    public static func registerEvent(
        _ handle: InetHandle, _ eventId: UInt32, _ callback: InetEventProc?, _ param: UInt
    ) -> Int32 {
        countCall { () throws(InetError) -> Int in
            guard eventId <= 0xFFFF, let event = InetEvent(rawValue: UInt16(eventId)) else {
                throw InetError(.invalidParameter, "nEventId must be one INET_EVENT_* value; got \(eventId)")
            }
            let entry = try HandleTable.lookup(handle)
            switch entry.kind {
            case .events(_, let forwarder): forwarder.register(event, callback, param)
            case .listener(_, let queue?): queue.forwarder.register(event, callback, param)
            case .blocking, .listener:
                throw InetError(
                    .invalidParameter,
                    "handle \(handle) was made by a blocking call; events need asyncConnect, asyncAccept or asyncListen"
                )
            }
            return 0
        }
    }

    /// `InetFlush`: discards received data not yet read — what ``readLine(_:_:_:)`` buffered and
    /// what waits in the socket now. Bytes already accepted for sending are not discarded (they
    /// may already be on the wire; Docs/Porting.md). Returns the count discarded, or ``error``.
    /// As the original warns, never a way to "send now".
    public static func flush(_ handle: InetHandle) -> Int32 {
        countCall { () throws(InetError) -> Int in
            let entry = try HandleTable.lookup(handle)
            var discarded = entry.state.withLock { s -> Int in
                defer { s.lineBuffer = [] }
                return s.lineBuffer.count
            }
            let scratch = UnsafeTransfer(UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1))
            defer { scratch.value.deallocate() }
            switch entry.kind {
            case .events(let events, _):
                // Through the event handle, so its read re-arm rule sees the reads.
                while case .bytes(let n) = try events.read(into: scratch.value) { discarded += n }
            case .blocking(let connection):
                discarded += try runOnLoop(connection.eventLoop, "flush") { () -> Result<Int, InetError> in
                    var total = 0
                    while true {
                        switch connection.discardWaitingInputOnLoop(scratch.value) {
                        case .success(0): return .success(total)
                        case .success(let n): total += n
                        case .failure(let error): return .failure(error)
                        }
                    }
                }
            case .listener:
                throw InetError(.invalidHandle, "handle \(handle) is a listening handle: it has no data to flush")
            }
            return discarded
        }
    }
}
