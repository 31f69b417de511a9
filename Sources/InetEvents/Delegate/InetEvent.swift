/// The events of the original API (`INET_EVENT_*`), with the sibling libraries' id pattern
/// (connect 1, disconnect 2, read 4, write 8, timeout 16, cancel 32; accept 64 is Inet's).
public enum InetEvent: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// The connect (and TLS handshake) finished, with or without an error. Fires once.
    case connect = 1
    /// The peer closed or reset the connection. Never for a local close.
    case disconnect = 2
    /// Data is available; fires again only after the application has read at least one byte.
    case read = 4
    /// The socket can take data: once after connect, then after a write would block or was partial.
    case write = 8
    /// A network operation exceeded its timeout (legacy layer: an idle client of an
    /// `Inet.serverStart` server). The application may retry or disconnect.
    case timeout = 16
    /// The operation in progress was cancelled (`Inet.cancel` on an event-driven handle).
    case cancel = 32
    /// A listening handle has a client waiting: call `Inet.accept`/`Inet.asyncAccept`.
    case accept = 64

    /// `connect`, `disconnect`, `read`, `write`, `timeout`, `cancel` or `accept`.
    public var description: String {
        switch self {
        case .connect: "connect"
        case .disconnect: "disconnect"
        case .read: "read"
        case .write: "write"
        case .timeout: "timeout"
        case .cancel: "cancel"
        case .accept: "accept"
        }
    }
}
