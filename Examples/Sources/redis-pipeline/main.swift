// redis-pipeline: a Redis client that pipelines, through Inet's delegate API.
//
//     redis-pipeline HOST PORT COUNT
//
// Sends COUNT INCR commands (between a DEL, a SET and two GETs) in one pipeline: it writes as
// much as the socket takes and resumes on the write event, and parses replies as read events
// bring them — no thread waits on the socket. Prints what came back.
import Dispatch
import Glibc
import Inet
import Synchronization

/// A RESP2 reply.
enum Reply: Equatable {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8]?)
}

/// Parses replies out of bytes that arrive in pieces: keeps what is not yet a whole reply.
struct ReplyParser {
    private var buffer: [UInt8] = []
    private var start = 0

    mutating func append(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }

    /// The next whole reply, or nil until more bytes come.
    mutating func next() throws -> Reply? {
        guard let lineEnd = crlf(from: start) else { return nil }
        let kind = buffer[start]
        let line = String(decoding: buffer[(start + 1)..<lineEnd], as: UTF8.self)
        let reply: Reply
        var end = lineEnd + 2
        switch kind {
        case UInt8(ascii: "+"): reply = .simple(line)
        case UInt8(ascii: "-"): reply = .error(line)
        case UInt8(ascii: ":"):
            guard let value = Int(line) else { throw ParseError.bad("integer '\(line)'") }
            reply = .integer(value)
        case UInt8(ascii: "$"):
            guard let length = Int(line) else { throw ParseError.bad("bulk length '\(line)'") }
            if length < 0 {
                reply = .bulk(nil)
            } else {
                guard buffer.count >= end + length + 2 else { return nil }  // the body is still coming
                reply = .bulk(Array(buffer[end..<(end + length)]))
                end += length + 2
            }
        default: throw ParseError.bad("reply type \(kind)")
        }
        start = end
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return reply
    }

    private func crlf(from index: Int) -> Int? {
        var i = index
        while i + 1 < buffer.count {
            if buffer[i] == 13, buffer[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    enum ParseError: Error { case bad(String) }
}

/// A command as RESP: an array of bulk strings.
func command(_ words: String...) -> [UInt8] {
    var bytes = Array("*\(words.count)\r\n".utf8)
    for word in words { bytes += Array("$\(word.utf8.count)\r\n\(word)\r\n".utf8) }
    return bytes
}

/// What the delegate saw, handed to the main thread when the pipeline is done.
final class Outcome: Sendable {
    struct Value {
        var replies: [Reply] = []
        var readEvents = 0
        var writeEvents = 0
        var error: String?
    }
    let value = Mutex(Value())
    let done = DispatchSemaphore(value: 0)
}

/// Writes the pipeline and collects `expected` replies. Events come one at a time on the
/// connection's loop thread, so its state needs no lock.
final class Pipeline: ConnectionDelegate, @unchecked Sendable {  // safe: touched only on the connection's loop
    let outgoing: [UInt8]
    let expected: Int
    let outcome: Outcome
    private var sent = 0
    private var parser = ReplyParser()
    private var replies: [Reply] = []
    private var readEvents = 0
    private var writeEvents = 0
    private var finished = false

    init(outgoing: [UInt8], expected: Int, outcome: Outcome) {
        (self.outgoing, self.expected, self.outcome) = (outgoing, expected, outcome)
    }

    func connectionDidConnect(_ connection: EventConnection, error: InetError?) {
        if let error { finish(connection, error: "connect failed: \(error)") }
    }

    func connectionCanWrite(_ connection: EventConnection) {
        writeEvents += 1
        do {
            while sent < outgoing.count {
                let result = try outgoing[sent...].withUnsafeBytes { try connection.write($0) }
                guard case .wrote(let n) = result else { return }  // the socket is full: the next write event resumes
                sent += n
            }
        } catch {
            finish(connection, error: "write failed: \(error)")
        }
    }

    func connectionCanRead(_ connection: EventConnection) {
        readEvents += 1
        var chunk = [UInt8](repeating: 0, count: 65536)
        do {
            // Read until the socket is empty: the next read event comes only after that.
            while true {
                let result = try chunk.withUnsafeMutableBytes { try connection.read(into: $0) }
                guard case .bytes(let n) = result else { break }
                chunk.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            }
            while let reply = try parser.next() { replies.append(reply) }
        } catch {
            return finish(connection, error: "read failed: \(error)")
        }
        if replies.count >= expected { finish(connection, error: nil) }
    }

    func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) {
        finish(
            connection,
            error: "the server closed after \(replies.count) of \(expected) replies \(error.map { "(\($0))" } ?? "")")
    }

    private func finish(_ connection: EventConnection, error: String?) {
        guard !finished else { return }
        finished = true
        try? connection.close()
        outcome.value.withLock {
            $0 = Outcome.Value(replies: replies, readEvents: readEvents, writeEvents: writeEvents, error: error)
        }
        outcome.done.signal()
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = Int(arguments[2]), let count = Int(arguments[3]), count > 0 else {
    print("usage: redis-pipeline HOST PORT COUNT")
    exit(2)
}
let key = "inet:example:counter"
var pipeline = command("DEL", key) + command("SET", "inet:example:greeting", "hello from Inet")
for _ in 0..<count { pipeline += command("INCR", key) }
pipeline += command("GET", "inet:example:greeting") + command("GET", key)
let expected = count + 4

let outcome = Outcome()
do {
    let connector = Connector(host: arguments[1], port: port, timeout: .seconds(10), options: [.noDelay])
    _ = try connector.connect(delegate: Pipeline(outgoing: pipeline, expected: expected, outcome: outcome))
} catch {
    print("redis-pipeline: \(error)")
    exit(1)
}
guard outcome.done.wait(timeout: .now() + 30) == .success else {
    print("redis-pipeline: no answer within 30 s")
    exit(1)
}
let result = outcome.value.withLock { $0 }
if let error = result.error {
    print("redis-pipeline: \(error)")
    exit(1)
}
let replies = result.replies
let errors = replies.filter { if case .error = $0 { return true } else { return false } }
print("pipelined \(expected) commands (\(pipeline.count) bytes): \(replies.count) replies, \(errors.count) errors")
print("read events \(result.readEvents), write events \(result.writeEvents)")
if case .integer(let last) = replies[expected - 3] { print("last INCR: \(last)") }
if case .bulk(let greeting?) = replies[expected - 2] {
    print("GET greeting: \(String(decoding: greeting, as: UTF8.self))")
}
if case .bulk(let value?) = replies[expected - 1] { print("GET counter: \(String(decoding: value, as: UTF8.self))") }
exit(errors.isEmpty && replies[expected - 1] == .bulk(Array("\(count)".utf8)) ? 0 : 1)
