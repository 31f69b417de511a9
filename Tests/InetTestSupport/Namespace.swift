import Foundation
import Glibc

/// A network namespace of the test's own (`ip netns add`), with loopback up and optionally an
/// `/etc/netns/NAME/hosts` file that `ip netns exec` shows as `/etc/hosts`. Removed on deinit.
public final class Namespace: @unchecked Sendable {  // safe: immutable after init
    public let name: String
    private static let counter = Counter()

    public init(hosts: String? = nil) throws {
        name = "inet-t\(getpid())-\(Namespace.counter.next())"
        try Peer.run(["ip", "netns", "add", name])
        try Peer.run(["ip", "-n", name, "link", "set", "lo", "up"])
        if let hosts {
            let dir = "/etc/netns/\(name)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try hosts.write(toFile: "\(dir)/hosts", atomically: true, encoding: .utf8)
        }
    }

    deinit {
        _ = try? Peer.run(["ip", "netns", "del", name], allowFailure: true)
        try? FileManager.default.removeItem(atPath: "/etc/netns/\(name)")
    }

    /// Kills every process in the namespace (`ip netns pids`) — e.g. the children a forking
    /// socat left blocked on a dead path, which would keep its pipes (and `Peer.stop`) waiting.
    public func killAll() {
        guard let pids = try? Peer.run(["ip", "netns", "pids", name], allowFailure: true).output else { return }
        for pid in pids.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
    }

    /// Runs a command inside the namespace to completion.
    @discardableResult
    public func run(_ arguments: [String]) throws -> String {
        try Peer.run(["ip", "netns", "exec", name] + arguments).output
    }

    /// Starts a command inside the namespace.
    public func start(_ arguments: [String], stdin: Bool = false) throws -> Peer {
        try Peer(["ip", "netns", "exec", name] + arguments, stdin: stdin)
    }

    package final class Counter: @unchecked Sendable {  // safe: every access holds `lock`
        package init() {}
        private let lock = NSLock()
        private var value = 0
        package func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
