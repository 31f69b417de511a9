/// The hook through which `InetEvents` hears a connection's readiness, on the connection's loop
/// thread. A class with overridable methods rather than a protocol, so each event costs one
/// virtual call, not an existential dispatch. The base class ignores everything.
open class ConnectionEventSink {
    /// A sink.
    public init() {}
    /// New bytes may be readable (an edge: data arrived, or the peer closed).
    open func connectionReadable() {}
    /// The socket can take bytes again after a write returned would-block or wrote part.
    open func connectionWritable() {}
    /// The peer closed its side (`nil`) or reset the connection; bytes already received stay readable.
    open func connectionPeerClosed(_ error: InetError?) {}
}

/// The outcome of a read that never waits (`EventConnection.read(into:)` in `InetEvents`).
public enum TryReadResult: Equatable, Sendable {
    /// This many bytes were read (at least 1).
    case bytes(Int)
    /// The peer closed and every byte was read (the original's `InetRead` returning 0).
    case endOfStream
    /// Nothing to read now; a read event will follow when data arrives.
    case wouldBlock
}

/// The outcome of a write that never waits (`EventConnection.write(_:)` in `InetEvents`).
public enum TryWriteResult: Equatable, Sendable {
    /// This many bytes were accepted (at least 1; fewer than offered is a partial write).
    case wrote(Int)
    /// Nothing was accepted; a write event will follow when the socket can take data.
    case wouldBlock
}
