import Glibc
@testable import InetCore
import InetEvents

/// A delegate that records every event (and what a callback did), so tests can wait for events
/// with a deadline instead of sleeping.
final class EventLog: ConnectionDelegate, @unchecked Sendable {  // safe: state behind `condition`
    enum Entry: Equatable {
        case connect(InetErrorCode?)
        case read
        case write
        case disconnect(InetErrorCode?)
        case note(String)
    }

    private let condition = ConditionLock()
    private var entries: [Entry] = []
    /// What to do inside callbacks (runs on the loop thread).
    var onRead: ((EventConnection) -> Void)?
    var onWrite: ((EventConnection) -> Void)?
    var onDisconnect: ((EventConnection) -> Void)?

    func record(_ entry: Entry) {
        condition.lock()
        entries.append(entry)
        condition.broadcast()
        condition.unlock()
    }

    var all: [Entry] {
        condition.lock()
        defer { condition.unlock() }
        return entries
    }

    /// Waits until `predicate` holds for the entries (at most `seconds`); returns them.
    @discardableResult
    func wait(seconds: Double = 10, until predicate: ([Entry]) -> Bool) -> [Entry] {
        let deadline = Deadline.after(.milliseconds(Int64(seconds * 1000)))
        condition.lock()
        defer { condition.unlock() }
        while !predicate(entries) {
            if !condition.wait(until: deadline) { break }
        }
        return entries
    }

    func connectionDidConnect(_ connection: EventConnection, error: InetError?) { record(.connect(error?.code)) }
    func connectionCanRead(_ connection: EventConnection) {
        record(.read)
        onRead?(connection)
    }
    func connectionCanWrite(_ connection: EventConnection) {
        record(.write)
        onWrite?(connection)
    }
    func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) {
        record(.disconnect(error?.code))
        onDisconnect?(connection)
    }

    /// Reads at most `count` bytes with the non-blocking call, recording what happened.
    func read(_ connection: EventConnection, count: Int) -> TryReadResult? {
        var buffer = [UInt8](repeating: 0, count: count)
        let result = try? buffer.withUnsafeMutableBytes { raw in try connection.read(into: raw) }
        if let result { record(.note("read \(result)")) }
        return result
    }
}
