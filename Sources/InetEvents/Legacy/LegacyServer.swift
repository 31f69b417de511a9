import CInetLinux
import InetCore

/// An `InetServerStart` server: a server thread that accepts, and one thread per client that
/// owns the client's handle and calls the application's callback on it — CONNECT first, READ
/// each time new bytes arrive (they wait in the handle's buffer, which `Inet.read`/`readLine`
/// serve first), TIMEOUT after `nTimeout` seconds without data, DISCONNECT when the client
/// closes (or fails). Inside the callback every `Inet.*` call on the client handle is allowed,
/// blocking ones included: it runs on the client's own thread.
final class LegacyServer: Sendable {
    let listener: Listener
    private let proc: InetEventProc
    private let param: UInt
    private let maxClients: Int
    private struct Clients {
        var handles: Set<InetHandle> = []
        var stopped = false
    }
    private let clients = Locked(Clients())

    init(listener: Listener, proc: @escaping InetEventProc, param: UInt, maxClients: Int) {
        self.listener = listener
        self.proc = proc
        self.param = param
        self.maxClients = maxClients
    }

    /// Starts the server thread.
    func start() throws(InetError) {
        _ = try spawnThread(name: "inet-server", detached: true) { [self] in acceptLoop() }
    }

    /// How many clients are connected.
    var clientCount: Int { clients.withLock { $0.handles.count } }

    private func acceptLoop() {
        while true {
            guard let connection = try? listener.blocking.accept() else { return }  // closed: stop
            let admitted = clients.withLock { c -> InetHandle? in
                if c.stopped || (maxClients > 0 && c.handles.count >= maxClients) { return nil }
                let handle = HandleTable.allocate()
                c.handles.insert(handle)
                return handle
            }
            guard let handle = admitted else {
                connection.eventLoop.execute { connection.closeOnLoop() }  // over the limit, or stopping
                continue
            }
            let entry = HandleEntry(kind: .blocking(connection), freeThread: false)
            HandleTable.publish(handle, entry)
            do throws(InetError) {
                _ = try spawnThread(name: "inet-server-client", detached: true) { [self] in serve(handle, entry, connection) }
            } catch {
                finished(handle)
                if let entry = HandleTable.remove(handle) { Inet.close(entry) }
            }
        }
    }

    /// The client thread: owns the handle and calls the callback until the client is gone.
    private func serve(_ handle: InetHandle, _ entry: HandleEntry, _ connection: Connection) {
        _ = entry.attach(to: cinet_thread_id())
        defer {
            finished(handle)
            if let entry = HandleTable.remove(handle) { Inet.close(entry) }  // unless the callback disconnected it
        }
        post(handle, .connect, 0)
        while HandleTable.isLive(handle) {
            let chunk: [UInt8]
            do throws(InetError) {
                chunk = try Inet.blockingRead(entry, connection, maxBytes: 65536)
            } catch where error.code == .timedOut {
                if HandleTable.isLive(handle) { post(handle, .timeout, error.legacyCode) }
                continue
            } catch {
                // Cancelled by a local disconnect: no event; else the client failed.
                if HandleTable.isLive(handle), error.code != .cancelled { post(handle, .disconnect, error.legacyCode) }
                return
            }
            if chunk.isEmpty {
                if HandleTable.isLive(handle) { post(handle, .disconnect, 0) }
                return
            }
            entry.state.withLock { $0.lineBuffer += chunk }
            post(handle, .read, 0)
        }
    }

    private func post(_ handle: InetHandle, _ event: InetEvent, _ error: UInt32) {
        proc(handle, UInt32(event.rawValue), error, param)
    }

    private func finished(_ handle: InetHandle) { clients.withLock { _ = $0.handles.remove(handle) } }

    /// `InetDisconnect` on the server handle: stop accepting, then disconnect every client (its
    /// thread's blocking read ends; no DISCONNECT is posted for a local disconnect).
    func stop() {
        let handles = clients.withLock { c -> Set<InetHandle> in
            c.stopped = true
            return c.handles
        }
        for handle in handles {
            if let entry = HandleTable.remove(handle) { Inet.close(entry) }
        }
    }
}
