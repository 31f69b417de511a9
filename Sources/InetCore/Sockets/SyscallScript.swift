import CInetLinux

/// The socket calls a ``SyscallScript`` can make fail.
package enum SyscallCall: String, Sendable, CaseIterable {
    case read, recv, send, recvfrom, sendto, socket, accept, connect, bind, listen
    case shutdown, setsockopt, getsockopt, ioctl, close
}

/// What a scripted call does instead of (or before) the real one.
package enum SyscallFault: Sendable, Equatable {
    /// Fails with this errno without calling the kernel. `EINTR` is retried by the layer (the
    /// real call follows); `EAGAIN` is would-block.
    case fail(Int32)
    /// Calls the kernel with at most this many bytes: a partial write or a short read.
    case limit(Int)
}

/// One rule of a script: calls of `call` (on descriptor `fd`, or any when nil) after the first
/// `skip` matching ones get `fault`, `times` times (`Int.max`: every time).
package struct SyscallRule: Sendable {
    package var call: SyscallCall
    package var fd: Int32?
    package var skip: Int
    package var times: Int
    package var fault: SyscallFault

    /// A rule.
    package init(_ call: SyscallCall, fd: Int32? = nil, skip: Int = 0, times: Int = 1, _ fault: SyscallFault) {
        self.call = call
        self.fd = fd
        self.skip = skip
        self.times = times
        self.fault = fault
    }
}

/// The test seam under ``Syscall``: a process-wide list of rules consulted by every socket call
/// while one is installed (one relaxed atomic load per call otherwise). For tests, in the spirit
/// of swift-nio's syscall abstraction: fault paths run on real sockets without root or
/// namespaces. Tests that install a script must not run concurrently with others.
package enum SyscallScript {
    private struct State {
        var rules: [SyscallRule] = []
        var injected: [SyscallCall: Int] = [:]
    }
    private static let state = Locked(State())
    /// Broadcast on every injection, for ``waitUntilInjected(_:count:timeout:)``.
    private static let injections = ConditionLock()

    /// Installs `rules` (replacing any script) and resets the injection counts.
    package static func install(_ rules: [SyscallRule]) {
        state.withLock {
            $0.rules = rules
            $0.injected = [:]
        }
        cinet_set_faults_active(rules.isEmpty ? 0 : 1)
    }

    /// Removes the script; every call is real again.
    package static func clear() { install([]) }

    /// Runs `body` with `rules` installed, then clears them.
    @discardableResult
    package static func with<R>(_ rules: [SyscallRule], _ body: () async throws -> R) async rethrows -> R {
        install(rules)
        defer { clear() }
        return try await body()
    }

    /// How many faults were injected into `call` since the script was installed.
    package static func injected(_ call: SyscallCall) -> Int { state.withLock { $0.injected[call, default: 0] } }

    /// Blocks until `count` faults were injected into `call` (or `timeout` passes); true if so.
    /// How a test learns, as an event, that an operation reached a given syscall.
    package static func waitUntilInjected(_ call: SyscallCall, count: Int = 1, timeout: Duration = .seconds(10)) -> Bool
    {
        let deadline = Deadline.after(timeout)
        injections.lock()
        defer { injections.unlock() }
        while injected(call) < count {
            if !injections.wait(until: deadline) { return injected(call) >= count }
        }
        return true
    }

    /// `waitUntilInjected` from async code (see ``waitOffPool(_:)``).
    package static func injection(_ call: SyscallCall, count: Int = 1, timeout: Duration = .seconds(10)) async -> Bool {
        await waitOffPool { waitUntilInjected(call, count: count, timeout: timeout) }
    }

    /// The fault for this call, if a rule matches (used by ``Syscall``).
    static func fault(_ call: SyscallCall, _ fd: Int32) -> SyscallFault? {
        let fault = match(call, fd)
        if fault != nil {
            injections.lock()
            injections.broadcast()
            injections.unlock()
        }
        return fault
    }

    private static func match(_ call: SyscallCall, _ fd: Int32) -> SyscallFault? {
        state.withLock { state in
            for i in state.rules.indices where state.rules[i].call == call && (state.rules[i].fd ?? fd) == fd {
                if state.rules[i].skip > 0 {
                    state.rules[i].skip -= 1
                    continue
                }
                guard state.rules[i].times > 0 else { continue }
                if state.rules[i].times != .max { state.rules[i].times -= 1 }
                state.injected[call, default: 0] += 1
                return state.rules[i].fault
            }
            return nil
        }
    }
}

/// Runs a blocking wait on a thread of its own and returns its answer, so async tests never block
/// the cooperative pool (which may run the very operation being waited for). False when no thread
/// can be made.
package func waitOffPool(_ wait: @escaping @Sendable () -> Bool) async -> Bool {
    (try? await offPool(wait)) ?? false
}

/// Runs blocking test work (a peer process to completion, a condition wait) on a thread of its
/// own and returns its result, so async tests never block the cooperative pool.
package func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        do throws(InetError) {
            try spawnThread(name: "test-wait", detached: true) { continuation.resume(with: Result { try body() }) }
        } catch {
            continuation.resume(throwing: error)
        }
    }
}
