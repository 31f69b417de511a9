/// How the peer ended its side of a connection (``Connection/peerEnd``).
///
/// For a secure connection only ``closeNotify`` means every byte the peer wrote arrived: TLS
/// signs its end with a `close_notify` alert, and a TCP end without one — an attacker's
/// injected FIN or RST, a crashed peer, a proxy that gave up — can cut the data anywhere, even
/// inside a record. Such an end fails the read with `tlsTruncated` and is recorded as
/// ``truncated``.
public enum PeerEnd: UInt8, Sendable, Hashable, CustomStringConvertible {
    /// Plain TCP: the peer sent FIN (its half-close or close) and every byte before it was read.
    case finished = 1
    /// TLS: the peer sent `close_notify`, then (usually) FIN: a clean, authenticated end.
    case closeNotify = 2
    /// TLS: TCP ended without `close_notify`; what arrived may be cut short.
    case truncated = 3

    /// `finished`, `close_notify`, `truncated`.
    public var description: String {
        switch self {
        case .finished: "finished"
        case .closeNotify: "close_notify"
        case .truncated: "truncated"
        }
    }

    /// True when the end proves the data complete (`finished` for plain TCP, `closeNotify` for TLS).
    public var isClean: Bool { self != .truncated }
}
