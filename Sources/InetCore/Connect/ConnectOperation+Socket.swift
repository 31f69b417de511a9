import CInetLinux
import Glibc

/// The socket of one connect attempt: made, given its options, bound as the plan says.
extension ConnectOperation {
    /// Makes and prepares the socket for one attempt: options, then the local bind.
    func openSocket(for address: SocketAddress) throws(InetError) -> SocketDescriptor {
        let descriptor = try SocketDescriptor(
            family: address.family, protocol: plan.proto, closeOnExec: plan.options.contains(.noInherit))
        // TLS writes whole records; with Nagle, the first record after the handshake would wait
        // for a delayed ACK (40 ms). Secure connections always set TCP_NODELAY.
        try descriptor.apply(
            plan.tlsContext == nil ? plan.options : plan.options.union(.noDelay), protocol: plan.proto,
            keepAlive: plan.keepAlive, userTimeout: plan.proto == .tcp ? plan.userTimeout : nil)
        let bindIP = plan.localBind ?? .any(address.family, port: 0)
        switch plan.localPortMode {
        case .any:
            if plan.localBind != nil { try descriptor.bind(bindIP) }
        case .explicit(let port):
            // Lets Happy Eyeballs attempts of one family share the port while both are in flight.
            try descriptor.setOption(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            var local = bindIP
            local.port = port
            try descriptor.bind(local)
        case .reserved:
            try Self.bindReservedPort(descriptor, bindIP)
        }
        return descriptor
    }

    /// Binds the first free port of 512…1023, starting at a random one.
    private static func bindReservedPort(
        _ descriptor: borrowing SocketDescriptor, _ base: SocketAddress
    ) throws(InetError) {
        let range = 512...1023
        let start = Int.random(in: range)
        for step in 0..<range.count {
            var local = base
            local.port = UInt16(range.lowerBound + (start - range.lowerBound + step) % range.count)
            do throws(InetError) {
                try descriptor.bind(local)
                return
            } catch  where error.code == .addressInUse {
                continue
            } catch  where error.code == .permissionDenied {
                throw InetError(
                    .permissionDenied, "reservedPort needs CAP_NET_BIND_SERVICE to bind a port below 1024",
                    errno: EACCES)
            }
        }
        throw InetError(.addressInUse, "reservedPort: every port of 512…1023 is in use")
    }
}
