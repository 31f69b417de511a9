import Foundation
import Glibc

/// A program run as a test peer (socat, nc, inetcat, ip …), with its output read through pipes
/// under a deadline, so a missing line fails the test instead of hanging it.
public final class Peer: @unchecked Sendable {  // safe: used by one test at a time; buffers touched by that test only
    public let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let stdinPipe = Pipe()
    public private(set) var stdoutData: [UInt8] = []
    public private(set) var stderrData: [UInt8] = []
    public let command: [String]
    /// Signalled once when the process ends (its termination handler).
    private let exited = DispatchSemaphore(value: 0)

    /// Starts `arguments[0]` (searched in PATH) with the rest as arguments.
    public init(_ arguments: [String], stdin: Bool = false) throws {
        command = arguments
        process.executableURL = URL(fileURLWithPath: try Peer.locate(arguments[0]))
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = stdin ? stdinPipe : FileHandle.nullDevice
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
    }

    deinit { stop() }

    public static func locate(_ name: String) throws -> String {
        if name.hasPrefix("/") { return name }
        for dir in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
            if access("\(dir)/\(name)", X_OK) == 0 { return "\(dir)/\(name)" }
        }
        throw PeerError("\(name) is not installed (scripts/test installs it)")
    }

    /// Writes to the peer's stdin.
    public func send(_ bytes: [UInt8]) { stdinPipe.fileHandleForWriting.write(Data(bytes)) }
    /// Closes the peer's stdin.
    public func closeInput() { try? stdinPipe.fileHandleForWriting.close() }

    /// Reads stderr until a line contains `text`; returns that line.
    @discardableResult
    public func waitForStderr(containing text: String, timeout: Duration = .seconds(10)) throws -> String {
        try waitFor(text, fd: stderrPipe.fileHandleForReading.fileDescriptor, buffer: \.stderrData, timeout: timeout)
    }

    /// Reads stdout until it contains `text`.
    @discardableResult
    public func waitForStdout(containing text: String, timeout: Duration = .seconds(10)) throws -> String {
        try waitFor(text, fd: stdoutPipe.fileHandleForReading.fileDescriptor, buffer: \.stdoutData, timeout: timeout)
    }

    private func waitFor(
        _ text: String, fd: Int32, buffer: ReferenceWritableKeyPath<Peer, [UInt8]>, timeout: Duration
    ) throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let lines = String(decoding: self[keyPath: buffer], as: UTF8.self).split(separator: "\n")
            if let line = lines.first(where: { $0.contains(text) }) { return String(line) }
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                throw PeerError(
                    "\(command.joined(separator: " ")) did not print '\(text)' in \(timeout); got: \(String(decoding: self[keyPath: buffer], as: UTF8.self))"
                )
            }
            guard try readSome(fd: fd, into: buffer, timeoutMs: Int32(left.components.seconds * 1000 + 10)) else {
                throw PeerError(
                    "\(command.joined(separator: " ")) closed its output before printing '\(text)'; got: \(String(decoding: self[keyPath: buffer], as: UTF8.self))"
                )
            }
        }
    }

    /// One poll+read; false at end of file.
    private func readSome(
        fd: Int32, into buffer: ReferenceWritableKeyPath<Peer, [UInt8]>, timeoutMs: Int32
    ) throws -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, timeoutMs)
        if ready == 0 { return true }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return false }
        self[keyPath: buffer] += chunk[0..<n]
        return true
    }

    /// Waits for exit (bounded) and collects the rest of its output; returns the exit status.
    public func finish(timeout: Duration = .seconds(30)) throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        let out = stdoutPipe.fileHandleForReading.fileDescriptor
        let err = stderrPipe.fileHandleForReading.fileDescriptor
        var outOpen = true
        var errOpen = true
        while outOpen || errOpen {
            guard ContinuousClock.now < deadline else {
                stop()
                throw PeerError("\(command.joined(separator: " ")) did not finish in \(timeout)")
            }
            if outOpen { outOpen = try readSome(fd: out, into: \.stdoutData, timeoutMs: 20) }
            if errOpen { errOpen = try readSome(fd: err, into: \.stderrData, timeoutMs: 20) }
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    public var stdoutText: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderrData, as: UTF8.self) }

    /// Kills the peer if it still runs.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Asks the peer to end (SIGTERM: a capture tool finishes its file) and waits for it to exit,
    /// at most `timeout`, then kills it (a peer that never sees the SIGTERM — one that keeps it
    /// blocked, as programs started from here inherit — must not hang the test). Waits for the
    /// process, not its pipes (a capture tool's output may stay open in others).
    public func interrupt(timeout: Duration = .seconds(10)) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if exited.wait(timeout: .now() + seconds) == .success { exited.signal() }  // kept for later waits
        stop()
    }

    /// Runs a command to completion; throws with its output when it fails.
    @discardableResult
    public static func run(_ arguments: [String], allowFailure: Bool = false) throws -> (status: Int32, output: String)
    {
        let peer = try Peer(arguments)
        let status = try peer.finish()
        if status != 0 && !allowFailure {
            throw PeerError("\(arguments.joined(separator: " ")) exited \(status): \(peer.stderrText)")
        }
        return (status, peer.stdoutText + peer.stderrText)
    }
}

public struct PeerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// socat as a peer: started with `-d -d` so it says when it listens; the port is read from that line.
public enum Socat {
    /// Starts `socat -d -d -b 4096 LISTEN-ADDRESS TARGET` and waits until it listens; returns it
    /// and the port. The 4096-byte block size matters for `PIPE` echoes: socat writes whole blocks
    /// into its own pipe with a blocking write, and a block larger than PIPE_BUF can wait for
    /// room only socat itself would make — a self-deadlock seen with the default 8192.
    /// `options` go before the addresses (e.g. `["-t", "60"]`: after one side's end, keep
    /// moving the other's bytes for up to 60 s, for an echo over a slow link).
    public static func listen(
        _ address: String, _ target: String, namespace: Namespace? = nil, options: [String] = []
    ) throws -> (Peer, Int) {
        let prefix = namespace.map { ["ip", "netns", "exec", $0.name] } ?? []
        let peer = try Peer(prefix + ["socat", "-d", "-d", "-b", "4096"] + options + [address, target])
        let line = try peer.waitForStderr(containing: "listening on")
        guard let portText = line.split(separator: ":").last,
            let port = Int(portText.trimmingCharacters(in: .whitespaces))
        else {
            throw PeerError("cannot read socat's port from: \(line)")
        }
        return (peer, port)
    }
}
