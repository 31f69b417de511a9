public import InetCore

/// Receives a connection's events, one at a time and in order, on the connection's event loop
/// thread (no thread hop between the socket and the delegate). Every method has an empty default.
///
/// Inside a callback, read and write with the connection's non-blocking calls; never block.
public protocol ConnectionDelegate: AnyObject {
    /// The connect finished; `error` is nil on success. Nothing follows a failed connect.
    func connectionDidConnect(_ connection: EventConnection, error: InetError?)
    /// Data is waiting. The next read event comes only after you read at least one byte.
    func connectionCanRead(_ connection: EventConnection)
    /// The socket can take data (after connect, and after a write that would block or was partial).
    func connectionCanWrite(_ connection: EventConnection)
    /// The peer closed (`error` nil) or reset the connection. Events stop; received data stays
    /// readable until `read` returns `.endOfStream`.
    func connectionDidDisconnect(_ connection: EventConnection, error: InetError?)
}

extension ConnectionDelegate {
    /// Does nothing.
    public func connectionDidConnect(_ connection: EventConnection, error: InetError?) {}
    /// Does nothing.
    public func connectionCanRead(_ connection: EventConnection) {}
    /// Does nothing.
    public func connectionCanWrite(_ connection: EventConnection) {}
    /// Does nothing.
    public func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) {}
}
