import Glibc
@testable import InetCore

/// A resolver that blocks until released, to show that a stalled lookup holds up nothing else.
/// (A fake on purpose: no real DNS server can be made to stall on cue here.)
final class StallingResolver: Resolver, @unchecked Sendable {  // safe: every access holds `condition`
    private let condition = ConditionLock()
    private var called = false
    private var released = false
    let answer: [SocketAddress]

    init(answer: [SocketAddress] = [SocketAddress(ipLiteral: "127.0.0.1", port: 0)!]) { self.answer = answer }

    func resolve(host: String, port: UInt16, protocol: InetProtocol) throws(InetError) -> [SocketAddress] {
        condition.lock()
        called = true
        condition.broadcast()
        while !released { _ = condition.wait() }
        condition.unlock()
        return answer
    }

    func waitUntilCalled() {
        condition.lock()
        while !called { _ = condition.wait() }
        condition.unlock()
    }

    func release() {
        condition.lock()
        released = true
        condition.broadcast()
        condition.unlock()
    }
}
