public import InetTLS
public import Logging

/// Opens TCP or UDP connections: `InetConnectEx` / `InetAsyncConnectEx` as a Swift value.
///
/// ```swift
/// let connection = try await Connector(host: "example.net", port: 7).connect()
/// ```
/// `connect()` suspends; `blocking.connect()` is the same call for worker threads (it fails with
/// `wouldDeadlock` on an event loop thread and is unavailable in async code).
public struct Connector: Sendable {
    /// A name or an IPv4/IPv6 literal (`[::1]` brackets allowed). Not a URL.
    public var host: String
    /// The path of a Unix domain socket to connect to instead of `host` and `port` (see
    /// ``init(unixDomainSocketPath:timeout:options:)``).
    public var unixDomainSocketPath: String?
    /// 1…65535, or 0 for ``defaultPort``.
    public var port: Int
    /// `.tcp` (default) or `.udp`.
    public var `protocol`: InetProtocol
    /// Bounds the whole connect: resolution, every address attempt and (for `.secure`) the handshake.
    public var timeout: Duration
    /// Socket and connection options; ``InetOptions/default`` includes `.noInherit`.
    public var options: InetOptions
    /// TLS credentials for `.secure`: a client certificate, extra trust roots, pins, versions.
    /// `nil`: no client certificate, the system trust store, TLS 1.2–1.3.
    public var credentials: SecurityCredentials?
    /// For `.secure`, instead of ``credentials``: a client context the caller made once and
    /// shares between connectors (it is not cached or rebuilt). `.trustedSite` and
    /// `.secureFallback` must agree with how it was made.
    public var tlsContext: TLSContext?
    /// Local IP literal to bind before connecting; only addresses of its family are tried.
    public var localAddress: String?
    /// Local port to bind (0: any).
    public var localPort: Int
    /// The port used when ``port`` is 0.
    public var defaultPort: Int?
    /// RFC 8305 connection attempt delay: how long an attempt runs before the next one starts.
    public var happyEyeballsDelay: Duration
    /// The default timeout of reads and writes on connections this connector makes: none
    /// (`.none`) unless asked, as accepted connections — an idle connection waits for data; cancel
    /// the task or pass a per-call timeout to stop. ``init(legacyHost:port:protocol:timeoutSeconds:options:localAddress:localPort:)``
    /// (the `Inet.*` functions) uses `.sameAsConnect`: the original applied `nTimeout` to each operation.
    public var ioTimeout: IOTimeout
    /// With `.keepAlive`: when probes start and how many unanswered ones break the connection
    /// (default: 5 s idle, 1 s apart, 5 probes — a dead peer found ~10 s after the last traffic).
    public var keepAlive: KeepAlive
    /// `TCP_USER_TIMEOUT`: how long sent data may stay unacknowledged before the kernel breaks
    /// the connection (`networkReset`); also bounds keep-alive when set. `nil` (default): the
    /// kernel's retransmission limit (`tcp_retries2`, ~15 minutes). A write returns once its
    /// bytes are queued, so on a dead path this is what ends a connection with data in flight.
    public var userTimeout: Duration?
    /// Queued-but-unsent bytes above which writers wait (they resume below half of it).
    public var writeBufferLimit: Int
    /// Resolves names (off the event loops).
    public var resolver: any Resolver
    /// The group whose next loop owns the connection (default: ``EventLoopGroup/shared``).
    public var group: EventLoopGroup?
    /// Where the connect and the connection log (swift-log): resolution, attempts, TLS, why it
    /// closed, at debug level (see ``InetLog``). Default `nil`: nothing logged, nothing paid.
    public var logger: Logger?

    /// The read/write timeout of new connections.
    public enum IOTimeout: Sendable, Equatable {
        /// The connect ``timeout``.
        case sameAsConnect
        /// This duration.
        case after(Duration)
        /// No timeout: reads wait for data or close; cancel the task to stop waiting.
        case none
    }

    /// A connector with the defaults: TCP, 20 s, `[.noInherit]`, 250 ms Happy Eyeballs delay.
    public init(
        host: String, port: Int, protocol: InetProtocol = .tcp, timeout: Duration = .seconds(20),
        options: InetOptions = .default, localAddress: String? = nil, localPort: Int = 0
    ) {
        self.host = host
        self.unixDomainSocketPath = nil
        self.port = port
        self.protocol = `protocol`
        self.timeout = timeout
        self.options = options
        self.localAddress = localAddress
        self.localPort = localPort
        self.defaultPort = nil
        self.happyEyeballsDelay = .milliseconds(250)
        self.ioTimeout = .none
        self.writeBufferLimit = 1 << 20
        self.keepAlive = .default
        self.userTimeout = nil
        self.resolver = SystemResolver()
        self.credentials = nil
        self.tlsContext = nil
        self.group = nil
        self.logger = nil
    }

    /// A connector to the Unix domain socket (`AF_UNIX`, stream) at `path`. Connections from it
    /// are used as TCP ones, in all three styles (async, blocking, delegates). Not for `.secure`,
    /// `.udp`, `localAddress`/`localPort`, or the IP options (`.noDelay`, `.keepAlive`,
    /// `.broadcast`, `.dontRoute`, `.reservedPort`, `.preferIPv6`): each is refused with
    /// `invalidOptions`. The errors: a path too long (over ``SocketAddress/maxUnixPathLength``
    /// bytes) `invalidAddress`; no socket file `addressNotAvailable`; no permission
    /// `permissionDenied`; a socket file nobody listens on (stale) `connectionRefused`.
    public init(unixDomainSocketPath path: String, timeout: Duration = .seconds(20), options: InetOptions = .default) {
        self.init(host: path, port: 0, timeout: timeout, options: options)
        self.unixDomainSocketPath = path
    }

    /// A connector from legacy arguments: `timeoutSeconds` as `nTimeout` — for the connect and,
    /// as the original applied it, for each read and write (`ioTimeout` `.sameAsConnect`) —
    /// and `options` as `dwOptions`.
    public init(
        legacyHost host: String, port: UInt32, protocol: InetProtocol, timeoutSeconds: UInt32,
        options: UInt32, localAddress: String?, localPort: UInt32
    ) {
        self.init(
            host: host, port: Int(port), protocol: `protocol`, timeout: .seconds(Int64(timeoutSeconds)),
            options: InetOptions(rawValue: options), localAddress: localAddress, localPort: Int(localPort))
        self.ioTimeout = .sameAsConnect
    }

    /// Connects, suspending until connected or failed.
    public func connect() async throws(InetError) -> Connection {
        let plan = try ConnectPlan(self)
        let operation = UnsafeTransfer(plan)
        return try await awaitCompletion { completion in
            ConnectOperation.start(operation.value, completion)
        } cancel: {
            ConnectOperation.cancel(plan: operation.value)
        }
    }

    /// The blocking face of this connector: `connector.blocking.connect()` on worker threads.
    public var blocking: Blocking { Blocking(connector: self) }

    /// Blocking connects, for worker threads (`InetConnectEx`'s style).
    public struct Blocking: Sendable {
        /// The connector.
        public let connector: Connector

        /// Connects, blocking the calling thread until connected or failed (at most `timeout`).
        /// On an event loop thread it fails with `wouldDeadlock`.
        @available(*, noasync, message: "blocks the thread; use the async connect, or call it from a worker thread")
        public func connect() throws(InetError) -> Connection {
            try checkNotOnEventLoop("connect()")
            let plan = try ConnectPlan(connector)
            return try blockForCompletion("connect()") { completion in
                ConnectOperation.start(plan, completion)
            }
        }
    }

    /// Checks every field without connecting; throws the error `connect()` would.
    public func validate() throws(InetError) { _ = try ConnectPlan(self) }
}
