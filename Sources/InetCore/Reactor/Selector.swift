import CInetLinux
import Glibc

/// Readiness reported by the selector for one registration.
struct Readiness: Sendable {
    var bits: UInt32
    var readable: Bool { bits & (CINET_EPOLLIN | CINET_EPOLLHUP | CINET_EPOLLERR | CINET_EPOLLRDHUP) != 0 }
    var writable: Bool { bits & (CINET_EPOLLOUT | CINET_EPOLLHUP | CINET_EPOLLERR) != 0 }
    var error: Bool { bits & CINET_EPOLLERR != 0 }
    var hangup: Bool { bits & (CINET_EPOLLHUP | CINET_EPOLLRDHUP) != 0 }
    /// Both directions are shut (EPOLLHUP, not just the peer's FIN): with `error`, how a failed
    /// connect shows.
    var closedBothWays: Bool { bits & CINET_EPOLLHUP != 0 }
}

/// One epoll instance plus the eventfd that wakes it. Edge-triggered: every socket is registered
/// once for in, out and read-hang-up, and the owners track readiness until `EAGAIN`.
/// Only the loop thread calls `wait`; `wakeUp` may be called from any thread.
struct Selector: ~Copyable {
    let epollFD: Int32
    let wakeFD: Int32
    private let events: UnsafeMutablePointer<epoll_event>
    private let capacity: Int32 = 256
    /// The data word of the wake-up registration (no socket slot uses generation 0 with this fd).
    static let wakeToken: UInt64 = .max

    init() throws(InetError) {
        let ep = cinet_epoll_create()
        guard ep >= 0 else { throw .system("epoll_create1", errno: cinet_errno()) }
        let wake = cinet_eventfd()
        guard wake >= 0 else {
            let e = cinet_errno()
            close(ep)
            throw .system("eventfd", errno: e)
        }
        guard cinet_epoll_ctl(ep, CINET_EPOLL_CTL_ADD, wake, CINET_EPOLLIN, Self.wakeToken) == 0 else {
            let e = cinet_errno()
            close(ep)
            close(wake)
            throw .system("epoll_ctl(eventfd)", errno: e)
        }
        epollFD = ep
        wakeFD = wake
        events = .allocate(capacity: Int(capacity))
    }

    deinit {
        close(epollFD)
        close(wakeFD)
        events.deallocate()
    }

    func add(fd: Int32, token: UInt64) throws(InetError) {
        let bits = CINET_EPOLLIN | CINET_EPOLLOUT | CINET_EPOLLRDHUP | CINET_EPOLLET
        guard cinet_epoll_ctl(epollFD, CINET_EPOLL_CTL_ADD, fd, bits, token) == 0 else {
            throw .system("epoll_ctl(ADD fd \(fd))", errno: cinet_errno())
        }
    }

    func remove(fd: Int32) {
        _ = cinet_epoll_ctl(epollFD, CINET_EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Wakes a `wait` in progress (or the next one).
    func wakeUp() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and calls `body` per socket event.
    func wait(timeoutMilliseconds: Int32, _ body: (UInt64, Readiness) -> Void) {
        let n = cinet_epoll_wait(epollFD, events, capacity, timeoutMilliseconds)
        guard n > 0 else { return }  // 0: timeout; -1: EINTR (nothing else can happen here)
        for i in 0..<Int(n) {
            let ev = events + i
            let token = cinet_epoll_event_data(ev)
            if token == Self.wakeToken {
                var counter: UInt64 = 0
                _ = read(wakeFD, &counter, 8)
                continue
            }
            body(token, Readiness(bits: cinet_epoll_event_flags(ev)))
        }
    }
}
