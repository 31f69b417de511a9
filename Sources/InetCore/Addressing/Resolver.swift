import CInetLinux
import Glibc

/// Turns a host name into socket addresses.
///
/// Implement the `async` requirement for a resolver that awaits (a DNS client, a service
/// registry): a connect calls it from a task of its own and cancels that task when the connect
/// ends first (its timeout, or the caller's cancellation), so a resolver should stop at
/// cancellation. A resolver whose lookup blocks the thread implements ``BlockingResolver``
/// instead, and runs on Inet's resolver threads.
public protocol Resolver: Sendable {
    /// The addresses of `host` for `port`, in the resolver's order (Inet reorders by family).
    func resolve(host: String, port: UInt16, protocol: InetProtocol) async throws(InetError) -> [SocketAddress]
}

/// A resolver whose lookup blocks the calling thread (`getaddrinfo`, a file). Inet calls the
/// blocking form on its resolver threads, never on an event loop; the `async` form it gets for
/// free runs the blocking one there too.
public protocol BlockingResolver: Resolver {
    /// The addresses of `host` for `port`, blocking until known.
    func resolve(host: String, port: UInt16, protocol: InetProtocol) throws(InetError) -> [SocketAddress]
}

extension BlockingResolver {
    /// Runs the blocking lookup on one of Inet's resolver threads and awaits it.
    public func resolve(
        host: String, port: UInt16, protocol proto: InetProtocol
    ) async throws(InetError) -> [SocketAddress] {
        let result = await withUnsafeContinuation {
            (continuation: UnsafeContinuation<Result<[SocketAddress], InetError>, Never>) in
            do throws(InetError) {
                try BlockingPool.shared.submit {
                    do throws(InetError) {
                        continuation.resume(
                            returning: .success(try self.resolve(host: host, port: port, protocol: proto)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        return try result.get()
    }
}

/// The system resolver: `getaddrinfo` (honours `/etc/hosts`, `nsswitch.conf`, DNS).
public struct SystemResolver: BlockingResolver {
    /// A system resolver.
    public init() {}

    /// Resolves with `getaddrinfo(AF_UNSPEC)`; duplicates are dropped, order kept.
    public func resolve(host: String, port: UInt16, protocol proto: InetProtocol) throws(InetError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = proto == .tcp ? CINET_SOCK_STREAM : CINET_SOCK_DGRAM
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0 else {
            let code = InetErrorCode(addrinfoError: rc)
            let reason = rc == EAI_SYSTEM ? String(cString: strerror(cinet_errno())) : String(cString: gai_strerror(rc))
            throw InetError(code, "cannot resolve '\(host)': \(reason)", errno: rc, host: host)
        }
        defer { freeaddrinfo(list) }
        var result: [SocketAddress] = []
        var node = list
        while let entry = node {
            if let raw = entry.pointee.ai_addr, var address = SocketAddress(storage: UnsafeRawPointer(raw)) {
                address.port = port
                if !result.contains(address) { result.append(address) }
            }
            node = entry.pointee.ai_next
        }
        if result.isEmpty {
            throw InetError(.hostNotFound, "'\(host)' has no IPv4 or IPv6 address", host: host)
        }
        return result
    }
}

/// Address ordering for connects (RFC 8305 §4 with a first-family count of one).
enum AddressOrdering {
    /// Interleaves the families, starting with IPv4 — or with IPv6 when `preferIPv6` and this
    /// machine has IPv6. A name with one family keeps it.
    static func order(_ addresses: [SocketAddress], preferIPv6: Bool, machineHasIPv6: Bool) -> [SocketAddress] {
        if addresses.count < 2 { return addresses }  // nothing to order: no new arrays
        let v4 = addresses.filter { $0.family == .ipv4 }
        let v6 = addresses.filter { $0.family == .ipv6 }
        let (first, second) = preferIPv6 && machineHasIPv6 ? (v6, v4) : (v4, v6)
        var result: [SocketAddress] = []
        result.reserveCapacity(addresses.count)
        for i in 0..<max(first.count, second.count) {
            if i < first.count { result.append(first[i]) }
            if i < second.count { result.append(second[i]) }
        }
        return result
    }

    /// True when some interface has an IPv6 address (loopback counts: `::1` is reachable).
    static let machineHasIPv6: Bool = {
        guard let file = fopen("/proc/net/if_inet6", "r") else { return false }
        defer { fclose(file) }
        return fgetc(file) != EOF
    }()
}
