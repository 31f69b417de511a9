import InetCore
public import InetTLS

/// `InetServerStart`: the server the vendor recommends for new code (see ``LegacyServer``).
extension Inet {
    /// `InetServerStart`: listens on `localHost`/`localPort` and serves each client on a thread
    /// of its own; every interaction happens in `eventProc(handle, eventId, error, param)`:
    /// `INET_EVENT_CONNECT` (a client connected; TLS: after its handshake), `INET_EVENT_READ`
    /// (new data waits; read it with `Inet.read` or `Inet.readLine`), `INET_EVENT_TIMEOUT`
    /// (`timeout` seconds without data; 0: never), `INET_EVENT_DISCONNECT` (the client closed).
    /// `maxClients` 0 means no limit; clients over it are closed at once. `priority` (`INET_PRIORITY_*`) is
    /// checked and recorded as each client's priority, not applied (see ``setClientPriority(_:_:)``). `INET_OPTION_SECURE` with
    /// `credentials` makes it a TLS server. Returns the server handle: `Inet.disconnect` on it
    /// stops accepting and disconnects every client; on a client handle it ends that client.
    public static func serverStart(
        _ localHost: String?, _ localPort: UInt32, _ backlog: UInt32, _ maxClients: UInt32,
        _ timeout: UInt32, _ priority: UInt32, _ options: UInt32, _ eventProc: @escaping InetEventProc,
        _ param: UInt, _ credentials: SecurityCredentials?
    ) -> InetHandle {
        handleCall { () throws(InetError) -> InetHandle in
            guard localPort <= 65535 else {
                throw InetError(.invalidPort, "nLocalPort must be 0…65535; got \(localPort)")
            }
            guard let priority = InetPriority(rawValue: priority) else {
                throw InetError(
                    .invalidParameter,
                    "nPriority must be one of INET_PRIORITY_NORMAL, _BACKGROUND, _LOW, _HIGH, _CRITICAL; got \(priority)"
                )
            }
            var listenOptions = InetOptions(rawValue: options)
            listenOptions.insert(.noInherit)
            let secure = listenOptions.contains(.secure)
            if secure, credentials == nil {
                throw InetError(.invalidOptions, "INET_OPTION_SECURE needs server credentials (lpCredentials)")
            }
            let listener = try Listener(
                address: localHost, port: Int(localPort), backlog: Int(backlog),
                options: listenOptions.subtracting([.freeThread, .reuseAddress, .exclusive, .secure]),
                ioTimeout: timeout == 0 ? nil : .seconds(Int64(timeout)),
                tls: secure ? TLSConfiguration(role: .server, credentials: credentials ?? SecurityCredentials()) : nil,
                reuseAddress: listenOptions.contains(.reuseAddress))
            let server = LegacyServer(
                listener: listener, proc: eventProc, param: param, maxClients: Int(maxClients), priority: priority)
            let handle = HandleTable.allocate()
            let entry = HandleEntry(
                kind: .listener(listener, nil), freeThread: listenOptions.contains(.freeThread), server: .runs(server))
            HandleTable.publish(handle, entry)
            do throws(InetError) { try server.start() } catch {
                _ = HandleTable.remove(handle)
                close(entry)
                throw error
            }
            return handle
        }
    }
}
