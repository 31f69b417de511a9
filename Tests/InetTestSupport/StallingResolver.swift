import Glibc
package import InetCore

/// A resolver that blocks until released, to show that a stalled lookup holds up nothing else.
/// (A fake on purpose: no real DNS server can be made to stall on cue here.)
package final class StallingResolver: BlockingResolver, @unchecked Sendable {  // safe: every access holds `condition`
    private let condition = ConditionLock()
    private var called = false
    private var released = false
    package let answer: [SocketAddress]

    package init(answer: [SocketAddress] = [SocketAddress(ipLiteral: "127.0.0.1", port: 0)!]) { self.answer = answer }

    package func resolve(host: String, port: UInt16, protocol: InetProtocol) throws(InetError) -> [SocketAddress] {
        condition.lock()
        called = true
        condition.broadcast()
        while !released { _ = condition.wait() }
        condition.unlock()
        return answer
    }

    package func waitUntilCalled() {
        condition.lock()
        while !called { _ = condition.wait() }
        condition.unlock()
    }

    package func release() {
        condition.lock()
        released = true
        condition.broadcast()
        condition.unlock()
    }
}
