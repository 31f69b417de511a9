import Foundation
import Glibc
import InetTestSupport
import Testing
@testable import InetCore
@testable import InetEvents

/// The rest of the `InetServerStart` family (issue 13): stop-and-wait, suspend/resume, throttle,
/// lock/unlock, client priorities, the server thread and the client list — against socat clients.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ServerControlTests {
    /// Every callback, in order, with a condition to wait on.
    final class Log: @unchecked Sendable {  // safe: every field is behind `condition`
        struct Entry {
            let handle: InetHandle
            let event: UInt32
            let thread: UInt32
            let at: Deadline
        }
        private let condition = ConditionLock()
        private var entries: [Entry] = []
        private var flags: [String: Int] = [:]

        func add(_ handle: InetHandle, _ event: UInt32) {
            condition.lock()
            entries.append(Entry(handle: handle, event: event, thread: Inet.currentThreadID, at: .now()))
            condition.unlock()
            condition.broadcast()
        }

        func mark(_ flag: String) {
            condition.lock()
            flags[flag, default: 0] += 1
            condition.unlock()
            condition.broadcast()
        }

        func count(_ flag: String) -> Int {
            condition.lock()
            defer { condition.unlock() }
            return flags[flag] ?? 0
        }

        var all: [Entry] {
            condition.lock()
            defer { condition.unlock() }
            return entries
        }

        func events(_ event: UInt32) -> [Entry] { all.filter { $0.event == event } }

        /// Waits (at most 10 s) until `ready` holds for the entries; returns whether it did.
        @discardableResult
        func wait(_ ready: ([Entry]) -> Bool) -> Bool {
            let deadline = Deadline.after(.seconds(10))
            condition.lock()
            defer { condition.unlock() }
            while !ready(entries) {
                if !condition.wait(until: deadline) { return ready(entries) }
            }
            return true
        }

        /// Waits (at most 10 s) until `flag` was marked `n` times.
        @discardableResult
        func wait(flag: String, count n: Int) -> Bool {
            let deadline = Deadline.after(.seconds(10))
            condition.lock()
            defer { condition.unlock() }
            while (flags[flag] ?? 0) < n {
                if !condition.wait(until: deadline) { return (flags[flag] ?? 0) >= n }
            }
            return true
        }
    }

    static func port(_ server: InetHandle) -> UInt32 {
        var address = ""
        var port: UInt32 = 0
        _ = Inet.getLocalAddress(server, &address, &port)
        return port
    }

    static func legacyServer(_ handle: InetHandle) -> LegacyServer {
        guard case .runs(let server)? = HandleTable.lookupForTesting(handle).server else {
            fatalError("not a server handle")
        }
        return server
    }

    /// Polls a server-internal count (no event exists for "waiting"), at most 10 s.
    static func await(_ what: () -> Bool) -> Bool {
        let deadline = Deadline.after(.seconds(10))
        while !what() {
            if deadline.remaining == .zero { return false }
            sched_yield()
        }
        return true
    }

    /// Connections waiting in the accept queue of the listener on 127.0.0.1:`port` (a listening
    /// socket's rx_queue in /proc/net/tcp).
    static func acceptQueueLength(_ port: UInt32) -> Int {
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return -1 }
        let local = String(format: "0100007F:%04X", port)
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[1] == local, fields[3] == "0A" else { continue }
            return Int(fields[4].split(separator: ":")[1], radix: 16) ?? -1
        }
        return 0
    }

    static func client(_ port: UInt32, from source: String = "127.0.0.1") throws -> Peer {
        try Peer(["socat", "-t", "5", "-", "TCP:127.0.0.1:\(port),bind=\(source)"], stdin: true)
    }

    /// Closes the client's input (socat then waits only for the server's end) and its status.
    static func end(_ peer: Peer) throws -> Int32 {
        peer.closeInput()
        return try peer.finish(timeout: .seconds(10))
    }

    /// A callback that echoes lines until the client closes, marking "returned" when it does.
    static func echo(_ log: Log) -> InetEventProc {
        { h, event, _, _ in
            log.add(h, event)
            guard event == INET_EVENT_CONNECT else { return }
            var line = ""
            while Inet.readLine(h, &line) { _ = Inet.writeLine(h, line) }
            log.mark("returned")
        }
    }

    @Test func serverStopDisconnectsEveryClientAndWaitsForTheirThreads() throws {
        let log = Log()
        let server = Inet.serverStart("127.0.0.1", 0, 0, 0, 0, 0, INET_OPTION_REUSEADDRESS, Self.echo(log), 0, nil)
        #expect(server != INVALID_SOCKET)
        let port = Self.port(server)
        let peers = try (0..<3).map { _ in try Self.client(port) }
        for (i, peer) in peers.enumerated() {
            peer.send(Array("hello \(i)\n".utf8))
            _ = try peer.waitForStdout(containing: "hello \(i)\r\n")
        }
        #expect(log.events(INET_EVENT_CONNECT).count == 3)
        #expect(Inet.serverStop(server))
        // It waited: every callback (blocked in readLine) has returned, each client is closed.
        #expect(log.count("returned") == 3)
        for peer in peers { #expect(try Self.end(peer) == 0) }
        #expect(log.events(INET_EVENT_DISCONNECT).isEmpty)  // stopped clients get no callback
        #expect(Inet.getStatus(server) == INET_STATUS_UNUSED)
        #expect(!Inet.serverStop(server))
        #expect(Inet.getLastError() == InetErrorCode.invalidHandle.legacyCode)
        // REUSEADDRESS: the same port serves again at once.
        let again = Inet.serverStart("127.0.0.1", port, 0, 0, 0, 0, INET_OPTION_REUSEADDRESS, Self.echo(log), 0, nil)
        #expect(again != INVALID_SOCKET)
        #expect(Inet.serverStop(again))
    }

    @Test func aCallbackMayStopItsOwnServer() throws {
        let log = Log()
        let serverHandle = Locked(INVALID_SOCKET)
        let server = Inet.serverStart(
            "127.0.0.1", 0, 0, 0, 0, 0, INET_OPTION_NONE,
            { h, event, _, _ in
                log.add(h, event)
                guard event == INET_EVENT_CONNECT else { return }
                var line = ""
                while Inet.readLine(h, &line) {
                    if line == "STOP" {
                        let stopped = Inet.serverStop(serverHandle.withLock { $0 })
                        log.mark(stopped ? "stopped" : "stop failed")
                        return
                    }
                    _ = Inet.writeLine(h, line)
                }
                log.mark("returned")
            }, 0, nil)
        serverHandle.withLock { $0 = server }
        let port = Self.port(server)
        let bystander = try Self.client(port)
        bystander.send(Array("here\n".utf8))
        _ = try bystander.waitForStdout(containing: "here\r\n")
        let stopper = try Self.client(port)
        stopper.send(Array("STOP\n".utf8))
        #expect(log.wait(flag: "stopped", count: 1))
        // serverStop returned in the stopper's callback after the bystander's thread had ended.
        #expect(log.count("returned") == 1)
        #expect(log.count("stop failed") == 0)
        #expect(try Self.end(bystander) == 0)
        #expect(try Self.end(stopper) == 0)
        #expect(Inet.getStatus(server) == INET_STATUS_UNUSED)
    }

    @Test func suspendedServersAcceptNobodyUntilResumed() throws {
        let log = Log()
        let server = Inet.serverStart("127.0.0.1", 0, 0, 0, 0, 0, INET_OPTION_NONE, Self.echo(log), 0, nil)
        let legacy = Self.legacyServer(server)
        let port = Self.port(server)
        #expect(Inet.serverSuspend(server))
        #expect(Inet.serverSuspend(server))  // already suspended: fine
        let first = try Self.client(port)
        first.send(Array("one\n".utf8))
        let second = try Self.client(port)
        second.send(Array("two\n".utf8))
        // Both reached the server: waiting in the listen backlog, or — the one the accept thread
        // took just as the server was suspended — held for the resume, uncounted.
        #expect(Self.await { legacy.withState { $0.heldForResume } + Self.acceptQueueLength(port) == 2 })
        var clients: [InetHandle] = [.invalid]
        #expect(Inet.enumServerClients(server, &clients) == 0)
        #expect(clients.isEmpty)
        #expect(log.all.isEmpty)
        #expect(Inet.serverResume(server))
        _ = try first.waitForStdout(containing: "one\r\n")
        _ = try second.waitForStdout(containing: "two\r\n")
        #expect(log.events(INET_EVENT_CONNECT).count == 2)
        #expect(Inet.enumServerClients(server, &clients) == 2)
        #expect(Set(clients) == Set(log.events(INET_EVENT_CONNECT).map(\.handle)))
        #expect(Inet.serverStop(server))
    }

    @Test func throttleLimitsClientsPerAddressAndInTotal() throws {
        let log = Log()
        let server = Inet.serverStart("127.0.0.1", 0, 0, 0, 0, 0, INET_OPTION_NONE, Self.echo(log), 0, nil)
        let legacy = Self.legacyServer(server)
        let port = Self.port(server)
        #expect(Inet.serverThrottle(server, 0, 1, 0))
        let a = try Self.client(port)
        a.send(Array("a\n".utf8))
        _ = try a.waitForStdout(containing: "a\r\n")
        // A second client from 127.0.0.1 is over the per-address limit: closed at once, no callback.
        let b = try Self.client(port)
        #expect(try Self.end(b) == 0)
        #expect(b.stdoutData.isEmpty)
        // Another address is its own count.
        let c = try Self.client(port, from: "127.0.0.2")
        c.send(Array("c\n".utf8))
        _ = try c.waitForStdout(containing: "c\r\n")
        #expect(log.events(INET_EVENT_CONNECT).count == 2)
        // UInt32.max leaves a value as it is; a total below the count keeps the clients.
        #expect(Inet.serverThrottle(server, 1, UInt32.max, UInt32.max))
        #expect(legacy.limits.maxClients == 1 && legacy.limits.maxClientsPerAddress == 1)
        let d = try Self.client(port, from: "127.0.0.3")
        #expect(try Self.end(d) == 0)
        #expect(d.stdoutData.isEmpty)
        a.send(Array("still\n".utf8))
        _ = try a.waitForStdout(containing: "still\r\n")
        #expect(Inet.serverThrottle(server, 0, 0, UInt32.max))
        let e = try Self.client(port)
        e.send(Array("e\n".utf8))
        _ = try e.waitForStdout(containing: "e\r\n")
        #expect(log.events(INET_EVENT_CONNECT).count == 3)
        #expect(Inet.serverStop(server))
        // Only servers made by serverStart have the controls.
        let plain = Inet.listen("127.0.0.1", 0)
        #expect(!Inet.serverThrottle(plain, 1, 1, 1))
        #expect(Inet.getLastError() == InetErrorCode.invalidHandle.legacyCode)
        #expect(!Inet.serverSuspend(plain))
        _ = Inet.disconnect(plain)
    }

    @Test func connectionRateSpacesAccepts() throws {
        let log = Log()
        let server = Inet.serverStart("127.0.0.1", 0, 0, 0, 0, 0, INET_OPTION_NONE, Self.echo(log), 0, nil)
        #expect(Inet.serverThrottle(server, UInt32.max, UInt32.max, 300))
        let port = Self.port(server)
        let peers = try (0..<3).map { _ in try Self.client(port) }
        #expect(log.wait { $0.filter { $0.event == INET_EVENT_CONNECT }.count == 3 })
        let times = log.events(INET_EVENT_CONNECT).map(\.at.uptimeNanoseconds)
        for (earlier, later) in zip(times, times.dropFirst()) {
            // CONNECT runs on each client's new thread, a little after its accept: a margin for
            // that; unthrottled, the three arrive within a few milliseconds.
            #expect(
                later - earlier >= 200_000_000, "accepts \((later - earlier) / 1_000_000) ms apart; the rate asks 300")
        }
        #expect(Inet.serverStop(server))
        for peer in peers { #expect(try Self.end(peer) == 0) }
    }

    @Test func aLockHoldsTheOtherThreadsUntilTheLastUnlock() throws {
        let log = Log()
        let server = Inet.serverStart(
            "127.0.0.1", 0, 0, 0, 0, 0, INET_OPTION_NONE,
            { h, event, _, _ in
                log.add(h, event)
                if event == INET_EVENT_READ {
                    var line = ""
                    while Inet.readLine(h, &line) { _ = Inet.writeLine(h, line) }
                }
            }, 0, nil)
        let legacy = Self.legacyServer(server)
        let port = Self.port(server)
        let peer = try Self.client(port)
        #expect(log.wait { $0.contains { $0.event == INET_EVENT_CONNECT } })
        #expect(Inet.serverLock(server))
        #expect(Inet.serverLock(server))  // counted
        peer.send(Array("held\n".utf8))
        // The client's thread has its data and waits at the lock, its READ callback not yet run.
        #expect(Self.await { legacy.withState { $0.lockWaiters } == 1 })
        #expect(log.events(INET_EVENT_READ).isEmpty)
        // Another thread cannot unlock; one unlock of two keeps it locked.
        let other = Locked<(Bool, UInt32)>((true, 0))
        let thread = Thread { other.withLock { $0 = (Inet.serverUnlock(server), Inet.getLastError()) } }
        thread.start()
        #expect(Self.await { other.withLock { $0.1 } != 0 })
        #expect(other.withLock { $0 } == (false, InetErrorCode.notHandleOwner.legacyCode))
        #expect(Inet.serverUnlock(server))
        #expect(legacy.withState { $0.lockWaiters } == 1)
        // One server locked at a time.
        let second = Inet.serverStart("127.0.0.1", 0, 0, 0, 0, 0, INET_OPTION_NONE, { _, _, _, _ in }, 0, nil)
        #expect(!Inet.serverLock(second))
        #expect(Inet.getLastError() == InetErrorCode.wouldDeadlock.legacyCode)
        #expect(Inet.serverUnlock(server))
        _ = try peer.waitForStdout(containing: "held\r\n")
        #expect(log.events(INET_EVENT_READ).count == 1)
        #expect(!Inet.serverUnlock(server))  // not locked
        #expect(Inet.serverLock(second) && Inet.serverUnlock(second))
        #expect(Inet.serverStop(second))
        #expect(Inet.serverStop(server))
    }

    @Test func clientPrioritiesThreadIdAndClientList() throws {
        let log = Log()
        let seen = Locked<[String]>([])
        #expect(
            Inet.serverStart("127.0.0.1", 0, 0, 0, 0, 99, INET_OPTION_NONE, { _, _, _, _ in }, 0, nil) == INVALID_SOCKET
        )
        #expect(Inet.getLastError() == InetErrorCode.invalidParameter.legacyCode)
        let server = Inet.serverStart(
            "127.0.0.1", 0, 0, 0, 0, INET_PRIORITY_LOW, INET_OPTION_NONE,
            { h, event, _, _ in
                log.add(h, event)
                guard event == INET_EVENT_CONNECT else { return }
                var steps: [String] = []
                steps.append("get \(Inet.getClientPriority(h))")
                steps.append("set \(Inet.setClientPriority(h, INET_PRIORITY_HIGH))")
                steps.append("get \(Inet.getClientPriority(h))")
                steps.append(
                    "bad \(Inet.setClientPriority(h, 99)) \(Inet.getLastError() == InetErrorCode.invalidParameter.legacyCode)"
                )
                seen.withLock { $0 += steps }
                log.mark("checked")
            }, 0, nil)
        let serverThread = Inet.getServerThreadId(server)
        #expect(serverThread != 0 && serverThread != Inet.currentThreadID)
        let port = Self.port(server)
        let peers = try (0..<2).map { _ in try Self.client(port) }
        #expect(log.wait(flag: "checked", count: 2))
        let low = INET_PRIORITY_LOW
        let high = INET_PRIORITY_HIGH
        #expect(seen.withLock { $0 }.prefix(4) == ["get \(low)", "set \(low)", "get \(high)", "bad -1 true"])
        let connects = log.events(INET_EVENT_CONNECT)
        #expect(!connects.contains { $0.thread == serverThread })  // callbacks run on the client threads
        var clients: [InetHandle] = []
        #expect(Inet.enumServerClients(server, &clients) == 2)
        #expect(clients == connects.map(\.handle).sorted { $0.rawValue < $1.rawValue })
        #expect(Inet.getClientPriority(server) == INET_PRIORITY_INVALID)  // not a client
        #expect(Inet.getLastError() == InetErrorCode.invalidHandle.legacyCode)
        #expect(Inet.setClientPriority(server, INET_PRIORITY_LOW) == INET_ERROR)
        #expect(Inet.serverStop(server))
        #expect(Inet.getServerThreadId(server) == 0)
        #expect(Inet.enumServerClients(server, &clients) == INET_ERROR)
        for peer in peers { #expect(try Self.end(peer) == 0) }
    }

    /// Stop at a random moment of many clients' lives, many times: it always returns, no
    /// callback runs after it, and nothing stays open.
    @Test func stoppingAtAnyMomentEndsEverythingOnce() throws {
        // Taken after round 0: the first server opens the process's lazily made descriptors
        // (the loop group's epoll and eventfds), which stay for the process's life.
        var baseline = Int.max
        var rng = SystemRandomNumberGenerator()
        for round in 0..<20 {
            if round == 1 { baseline = ProcessFacts.openDescriptors }
            let log = Log()
            let stopped = Locked(false)
            let late = Locked(0)
            let server = Inet.serverStart(
                "127.0.0.1", 0, 0, 0, 0, 0, INET_OPTION_NONE,
                { h, event, _, _ in
                    if stopped.withLock({ $0 }) { late.withLock { $0 += 1 } }
                    log.add(h, event)
                    var line = ""
                    while event == INET_EVENT_READ, Inet.readLine(h, &line) { _ = Inet.writeLine(h, line) }
                }, 0, nil)
            #expect(server != INVALID_SOCKET)
            let port = Self.port(server)
            let peers = try (0..<4).map { i -> Peer in
                let peer = try Self.client(port)
                peer.send(Array("round \(round) client \(i)\n".utf8))
                return peer
            }
            let moment = Int.random(in: 0...8, using: &rng)  // after this many callbacks
            #expect(log.wait { $0.count >= moment }, "round \(round): \(moment) callbacks did not come")
            #expect(Inet.serverStop(server), "round \(round)")
            stopped.withLock { $0 = true }
            // Accepted clients see the server's FIN; those still in the backlog a reset (socat: 1).
            for peer in peers {
                let status = try Self.end(peer)
                #expect([0, 1].contains(status), "round \(round): socat exited \(status)")
            }
            #expect(late.withLock { $0 } == 0, "round \(round): a callback ran after serverStop returned")
        }
        #expect(Self.await { ProcessFacts.openDescriptors <= baseline })
    }
}
