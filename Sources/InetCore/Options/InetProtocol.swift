/// The transport protocol of a connection (`INET_PROTOCOL_*`).
public enum InetProtocol: UInt32, Sendable, Hashable, CustomStringConvertible {
    /// A reliable, bi-directional byte stream. The default.
    case tcp = 6
    /// Discrete datagrams, unreliable; a "connection" fixes the peer address.
    case udp = 17

    /// `tcp` or `udp`.
    public var description: String { self == .tcp ? "tcp" : "udp" }
}
