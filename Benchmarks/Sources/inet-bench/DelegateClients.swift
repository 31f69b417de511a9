import BenchSupport
import InetCore
import InetEvents

/// Every client workload through `ConnectionDelegate`s: all work happens in callbacks on the
/// loop thread; the main thread only starts it and waits for the end.
enum DelegateClients {
    static func run(_ command: BenchCommand, group: EventLoopGroup) throws(InetError) {
        let finish = Finish()
        switch command.workload {
        case .pingpong(let roundtrips):
            let client = PingPong(roundtrips: roundtrips, finish: finish) { m in
                m.finish(workload: "pingpong", impl: "inet", count: roundtrips, metric: "rt_per_s")
            }
            client.handle = try command.connector(group: group).connect(delegate: client)
            finish.wait()
            client.report()
        case .concurrent(let roundtrips, let count):
            let shared = ConcurrentRun(remaining: count, finish: finish)
            var clients: [PingPong] = []
            for i in 0..<count {
                let share = roundtrips / count + (i < roundtrips % count ? 1 : 0)
                let client = PingPong(roundtrips: share, finish: nil, shared: shared) { _ in }
                client.handle = try command.connector(group: group).connect(delegate: client)
                clients.append(client)
            }
            finish.wait()  // all connected
            shared.start(clients)
            finish.wait()  // all done
            shared.measurement?.finish(workload: "concurrent", impl: "inet", count: roundtrips, metric: "rt_per_s")
        case .stream(let total, let chunk):
            let client = Streamer(total: total, chunk: chunk, finish: finish)
            client.handle = try command.connector(group: group).connect(delegate: client)
            finish.wait()
            client.measurement?.finish(workload: "stream", impl: "inet", count: total, metric: "gb_per_s", scale: 1e-9)
        case .connrate(let connections):
            let client = ConnRate(connections: connections, connector: command.connector(group: group), finish: finish)
            try client.connectNext()
            finish.wait()
            client.measurement?.finish(workload: "connrate", impl: "inet", count: connections, metric: "conn_per_s")
        case .tls(let handshakes, let caPath):
            let client = ConnRate(
                connections: handshakes, connector: command.connector(group: group, caPath: caPath), finish: finish,
                tls: true)
            try client.connectNext()
            finish.wait()
            client.measurement?.finish(
                workload: command.resume ? "tls-resumed" : "tls", impl: "inet", count: handshakes, metric: "hs_per_s")
        case .serveEcho: break
        }
    }
}

/// 64-byte ping-pong on one connection: write, read all 64 back, repeat.
final class PingPong: ConnectionDelegate, @unchecked Sendable {
    // Safe: used on its connection's loop thread, and by the main thread only before the
    // connect and after `finish` has been signalled.
    var handle: EventConnection?
    private let message = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
    /// Reads ask for more than the 64 bytes due: a short read tells Inet the socket is drained,
    /// so it need not ask the kernel whether more is waiting (edge-triggered epoll).
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    private var remaining: Int
    private var got = 0
    private let finish: Finish?
    private let shared: ConcurrentRun?
    private var measurement: Measurement?
    private let onDone: (Measurement) -> Void

    init(roundtrips: Int, finish: Finish?, shared: ConcurrentRun? = nil, onDone: @escaping (Measurement) -> Void) {
        remaining = roundtrips
        self.finish = finish
        self.shared = shared
        self.onDone = onDone
        message.initializeMemory(as: UInt8.self, repeating: 0x70)
    }

    deinit {
        message.deallocate()
        input.deallocate()
    }

    func connectionDidConnect(_ connection: EventConnection, error: InetError?) {
        if let error { return (finish ?? shared?.finish)?.fail("connect: \(error)") ?? () }
        if let shared { return shared.connected() }
        measurement = Measurement()
        send(connection)
    }

    /// Starts the exchange (concurrent: called on the loop once all are connected).
    func send(_ connection: EventConnection) {
        guard remaining > 0 else { return shared?.ended() ?? () }
        do throws(InetError) {
            guard case .wrote(64) = try connection.write(UnsafeRawBufferPointer(message)) else {
                return fail("a 64-byte write did not go out whole")
            }
        } catch {
            fail("write: \(error)")
        }
    }

    func connectionCanRead(_ connection: EventConnection) {
        do throws(InetError) {
            switch try connection.read(into: input) {
            case .bytes(let n):
                got += n
                guard got >= 64 else { return }
                got = 0
                remaining -= 1
                if remaining > 0 { return send(connection) }
                if let shared { return shared.ended() }
                finish?.done()
            case .endOfStream: fail("the server closed")
            case .wouldBlock: break
            }
        } catch {
            fail("read: \(error)")
        }
    }

    func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) {
        if remaining > 0 { fail("disconnected: \(error.map { "\($0)" } ?? "closed")") }
    }

    private func fail(_ message: String) { (finish ?? shared?.finish)?.fail(message) }

    /// Prints the result (main thread, after `finish`).
    func report() {
        if let measurement { onDone(measurement) }
    }
}

/// The concurrent workload's shared state: every connection's loop is the one loop.
final class ConcurrentRun: @unchecked Sendable {
    // Safe: touched on the one loop thread, and by the main thread between the two waits.
    let finish: Finish
    private var waiting: Int
    var measurement: Measurement?

    init(remaining: Int, finish: Finish) {
        waiting = remaining
        self.finish = finish
    }

    func connected() {
        waiting -= 1
        if waiting == 0 { finish.done() }
    }

    func ended() {
        waiting -= 1
        if waiting == 0 { finish.done() }
    }

    /// Starts every connection's first write, on the loop, in one task.
    func start(_ clients: [PingPong]) {
        waiting = clients.count
        let loop = clients[0].handle!.eventLoop
        _ = loop.execute {
            self.measurement = Measurement()
            for client in clients { client.send(client.handle!) }
        }
    }
}

/// Writes TOTAL bytes in CHUNK-byte writes, then waits for the sink's one byte.
final class Streamer: ConnectionDelegate, @unchecked Sendable {
    // Safe: used on the loop thread; the main thread reads `measurement` after `finish`.
    var handle: EventConnection?
    private let chunk: UnsafeMutableRawBufferPointer
    private var offset = 0
    private var sent = 0
    private let total: Int
    private let finish: Finish
    var measurement: Measurement?

    init(total: Int, chunk: Int, finish: Finish) {
        self.total = total
        self.chunk = .allocate(byteCount: chunk, alignment: 8)
        self.chunk.initializeMemory(as: UInt8.self, repeating: 0x73)
        self.finish = finish
    }

    deinit { chunk.deallocate() }

    func connectionDidConnect(_ connection: EventConnection, error: InetError?) {
        if let error { return finish.fail("connect: \(error)") }
        measurement = Measurement()
    }

    func connectionCanWrite(_ connection: EventConnection) {
        do throws(InetError) {
            while sent < total {
                let want = min(chunk.count - offset, total - sent)
                let slice = UnsafeRawBufferPointer(rebasing: chunk[offset..<offset + want])
                guard case .wrote(let n) = try connection.write(slice) else { return }
                sent += n
                offset = (offset + n) % chunk.count
                if n < want { return }  // the socket is full; a write event follows
            }
        } catch {
            finish.fail("write: \(error)")
        }
    }

    func connectionCanRead(_ connection: EventConnection) {
        var one: UInt8 = 0
        do throws(InetError) {
            let result = try withUnsafeMutableBytes(of: &one) { raw throws(InetError) in try connection.read(into: raw) }
            switch result {
            case .bytes: sent == total ? finish.done() : finish.fail("the sink answered early")
            case .endOfStream: finish.fail("the sink closed")
            case .wouldBlock: break
            }
        } catch {
            finish.fail("read: \(error)")
        }
    }
}

/// connrate and tls: connect, read the server's byte (tls: write one first), close; next.
final class ConnRate: ConnectionDelegate, @unchecked Sendable {
    // Safe: used on the loop thread (the first connect comes from the main thread before any
    // event); the main thread reads `measurement` after `finish`.
    private let connector: Connector
    private var remaining: Int
    private let count: Int
    private let finish: Finish
    private let tls: Bool
    private var current: EventConnection?
    var measurement: Measurement?

    init(connections: Int, connector: Connector, finish: Finish, tls: Bool = false) {
        remaining = connections
        count = connections
        self.connector = connector
        self.finish = finish
        self.tls = tls
    }

    func connectNext() throws(InetError) {
        if measurement == nil { measurement = Measurement() }
        current = try connector.connect(delegate: self)
    }

    func connectionDidConnect(_ connection: EventConnection, error: InetError?) {
        if let error { return finish.fail("connect \(count - remaining + 1): \(error)") }
        guard tls else { return }
        do throws(InetError) {
            _ = try connection.write([0x74])
        } catch {
            finish.fail("write: \(error)")
        }
    }

    func connectionCanRead(_ connection: EventConnection) {
        var room: (UInt64, UInt64) = (0, 0)  // more than the one byte due (see PingPong.input)
        do throws(InetError) {
            let result = try withUnsafeMutableBytes(of: &room) { raw throws(InetError) in try connection.read(into: raw) }
            guard case .bytes = result else {
                if case .endOfStream = result { finish.fail("the server closed before its byte") }
                return
            }
            try connection.close()
            remaining -= 1
            if remaining == 0 { return finish.done() }
            try connectNext()
        } catch {
            finish.fail("\(error)")
        }
    }
}
