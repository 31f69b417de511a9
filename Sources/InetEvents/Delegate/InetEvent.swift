/// The events of the original API (`INET_EVENT_*`), with the sibling libraries' id pattern.
public enum InetEvent: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// The connect (and TLS handshake) finished, with or without an error. Fires once.
    case connect = 1
    /// The peer closed or reset the connection. Never for a local close.
    case disconnect = 2
    /// Data is available; fires again only after the application has read at least one byte.
    case read = 4
    /// The socket can take data: once after connect, then after a write would block or was partial.
    case write = 8

    /// `connect`, `disconnect`, `read` or `write`.
    public var description: String {
        switch self {
        case .connect: "connect"
        case .disconnect: "disconnect"
        case .read: "read"
        case .write: "write"
        }
    }
}
