import InetCore
import InetEvents

/// The demo's delegate: writes a greeting on the first write event, collects the echo on read
/// events, and lets the demo wait for it.
final class DemoDelegate: ConnectionDelegate, @unchecked Sendable {  // safe: state behind `lines`/`done`
    private let lines = Locked<[String]>([])
    private let received = Locked<[UInt8]>([])
    private let done = ConditionLock()
    private let message: [UInt8]

    init(message: String) { self.message = Array(message.utf8) }

    func waitForEcho() -> [String] {
        let deadline = Deadline.after(.seconds(5))
        done.lock()
        while received.withLock({ $0.count }) < message.count { if !done.wait(until: deadline) { break } }
        done.unlock()
        return lines.withLock { $0 } + [
            "delegate: echoed back: \"\(String(decoding: received.withLock { $0 }, as: UTF8.self))\""
        ]
    }

    func connectionDidConnect(_ connection: EventConnection, error: InetError?) {
        lines.withLock { $0.append("delegate: connect event (error: \(error.map { "\($0.legacyCode)" } ?? "none"))") }
    }

    func connectionCanWrite(_ connection: EventConnection) {
        let result = try? connection.write(message)
        lines.withLock { $0.append("delegate: write event, wrote \(result.map { "\($0)" } ?? "nothing")") }
    }

    func connectionCanRead(_ connection: EventConnection) {
        var buffer = [UInt8](repeating: 0, count: 64)
        guard case .bytes(let n)? = try? buffer.withUnsafeMutableBytes({ try connection.read(into: $0) }) else {
            return
        }
        received.withLock { $0 += buffer[0..<n] }
        lines.withLock { $0.append("delegate: read event, read \(n) bytes") }
        done.lock()
        done.broadcast()
        done.unlock()
    }
}
