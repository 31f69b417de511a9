/// What a handle is doing (`InetGetStatus`). The original never published its values; these
/// are Inet's, in the sibling libraries' style (`*_STATUS_UNUSED` 0, `*_STATUS_IDLE` 1, …).
public enum InetStatus: UInt32, Sendable, CustomStringConvertible {
    /// No such handle (never issued, or disconnected).
    case unused = 0
    /// Connected (or listening) with no blocking call in progress.
    case idle = 1
    /// An asynchronous connect has started and not finished.
    case connecting = 2
    /// A blocking read (or `readLine`) is in progress.
    case reading = 3
    /// A blocking write (or `writeLine`) is in progress.
    case writing = 4
    /// A listening handle with no blocking accept in progress.
    case listening = 5
    /// A blocking accept is in progress.
    case accepting = 6
    /// The peer closed the connection (or it failed); read what is left, then disconnect.
    case disconnected = 7

    /// `idle`, `reading`, …
    public var description: String {
        switch self {
        case .unused: "unused"
        case .idle: "idle"
        case .connecting: "connecting"
        case .reading: "reading"
        case .writing: "writing"
        case .listening: "listening"
        case .accepting: "accepting"
        case .disconnected: "disconnected"
        }
    }
}

/// `INET_STATUS_UNUSED` … `INET_STATUS_DISCONNECTED`, as `Inet.getStatus` returns them.
public let INET_STATUS_UNUSED = InetStatus.unused.rawValue
/// `INET_STATUS_IDLE`.
public let INET_STATUS_IDLE = InetStatus.idle.rawValue
/// `INET_STATUS_CONNECT`.
public let INET_STATUS_CONNECT = InetStatus.connecting.rawValue
/// `INET_STATUS_READ`.
public let INET_STATUS_READ = InetStatus.reading.rawValue
/// `INET_STATUS_WRITE`.
public let INET_STATUS_WRITE = InetStatus.writing.rawValue
/// `INET_STATUS_LISTEN`.
public let INET_STATUS_LISTEN = InetStatus.listening.rawValue
/// `INET_STATUS_ACCEPT`.
public let INET_STATUS_ACCEPT = InetStatus.accepting.rawValue
/// `INET_STATUS_DISCONNECT`.
public let INET_STATUS_DISCONNECT = InetStatus.disconnected.rawValue
