import Glibc
@testable import InetCore
import InetEvents

/// Counts what the load clients report and lets the test thread wait for it (no sleeping).
final class LoadRun: @unchecked Sendable {  // safe: every field is behind `condition`
    private let condition = ConditionLock()
    private let connections: Int
    private var connected = 0
    private var finished = 0
    private var verified = 0
    private var failed: [String] = []

    init(connections: Int) { self.connections = connections }

    private func update(_ body: (LoadRun) -> Void) {
        condition.lock()
        body(self)
        condition.broadcast()
        condition.unlock()
    }

    func didConnect() { update { $0.connected += 1 } }
    func didFinish(verified count: Int) {
        update {
            $0.finished += 1
            $0.verified += count
        }
    }
    func fail(_ why: String) {
        update {
            $0.failed.append(why)
            $0.finished += 1
        }
    }

    private func read<T>(_ body: (LoadRun) -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body(self)
    }

    var connectedCount: Int { read { $0.connected } }
    var finishedCount: Int { read { $0.finished } }
    var verifiedMessages: Int { read { $0.verified } }
    var failures: [String] { read { $0.failed } }

    private func wait(seconds: Int, until done: (LoadRun) -> Bool) -> Bool {
        let deadline = Deadline.after(.seconds(Int64(seconds)))
        condition.lock()
        defer { condition.unlock() }
        while !done(self) {
            if !condition.wait(until: deadline) { return done(self) }
        }
        return true
    }

    func waitConnected(seconds: Int) -> Bool {
        wait(seconds: seconds) { $0.connected + $0.failed.count >= $0.connections } && failures.isEmpty
    }
    func waitFinished(seconds: Int) -> Bool { wait(seconds: seconds) { $0.finished >= $0.connections } }
}

/// One load connection: writes its messages back to back, reads the echo and checks every
/// message in order, then reports.
final class LoadClient: ConnectionDelegate, @unchecked Sendable {
    // Safe: after `connect` returns, every field is used only on the connection's loop thread
    // (the test thread only calls `start`, which hops there, and `close`).
    var handle: EventConnection?
    private let id: UInt32
    private let messages: Int
    private let run: LoadRun
    private let startOnConnect: Bool
    private var outgoing: [UInt8] = []
    private var sent = 0
    private var received: [UInt8] = []
    private var checked = 0
    private var done = false

    init(id: UInt32, messages: Int, run: LoadRun, startOnConnect: Bool = false) {
        self.id = id
        self.messages = messages
        self.run = run
        self.startOnConnect = startOnConnect
    }

    func connectionDidConnect(_ connection: EventConnection, error: InetError?) {
        if let error {
            done = true
            return run.fail("connect \(id): \(error)")
        }
        run.didConnect()
        if startOnConnect { begin(connection) }
    }

    /// Starts sending (from the test thread: hops to the loop).
    func start() {
        guard let handle else { return }
        handle.eventLoop.execute { self.begin(handle) }
    }

    private func begin(_ connection: EventConnection) {
        outgoing = (0..<messages).flatMap { LoadTests.message(id, UInt32($0)) }
        send(connection)
    }

    private func send(_ connection: EventConnection) {
        while sent < outgoing.count {
            let result = try? outgoing[sent...].withUnsafeBytes { try connection.write($0) }
            guard case .wrote(let n)? = result else { return }  // would block: a write event follows
            sent += n
        }
    }

    func connectionCanWrite(_ connection: EventConnection) { send(connection) }

    func connectionCanRead(_ connection: EventConnection) {
        var buffer = [UInt8](repeating: 0, count: 8192)
        do {
            let result = try buffer.withUnsafeMutableBytes { try connection.read(into: $0) }
            switch result {
            case .bytes(let n): received += buffer[..<n]
            case .endOfStream: return finish("the server closed after \(checked) messages")
            case .wouldBlock: return
            }
        } catch {
            return finish("read: \(error)")
        }
        let size = LoadTests.messageSize
        while received.count - checked * size >= size {
            let start = checked * size
            guard Array(received[start..<start + size]) == LoadTests.message(id, UInt32(checked)) else {
                return finish("message \(checked) of connection \(id) is wrong (lost, reordered or corrupted)")
            }
            checked += 1
        }
        if checked == messages { finish(nil) }
    }

    private func finish(_ failure: String?) {
        guard !done else { return }
        done = true
        received = []
        outgoing = []
        if let failure { run.fail(failure) } else { run.didFinish(verified: checked) }
    }
}
