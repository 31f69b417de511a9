package import InetCore

/// A resolver with a fixed answer (a fake on purpose: the stage under test is the attempt
/// bookkeeping, not resolution).
package struct FixedResolver: BlockingResolver {
    package let addresses: [String]
    package init(addresses: [String]) { self.addresses = addresses }
    package func resolve(host: String, port: UInt16, protocol: InetProtocol) throws(InetError) -> [SocketAddress] {
        addresses.compactMap { SocketAddress(ipLiteral: $0, port: port) }
    }
}
