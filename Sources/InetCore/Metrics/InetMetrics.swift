import CoreMetrics
import Synchronization

/// Inet's metrics (swift-metrics). Nothing is recorded — and the paths that would record pay one
/// atomic load — until the application bootstraps a backend (`MetricsSystem.bootstrap`) before
/// its first connect or listener; Inet looks at the factory once, at first use.
///
/// | label | kind | dimensions |
/// |---|---|---|
/// | `inet_connections_opened_total` | counter | `role`: `client` (connects) or `server` (accepts) |
/// | `inet_connections_closed_total` | counter | `role` |
/// | `inet_connect_failures_total` | counter | `code`: the `InetErrorCode` case |
/// | `inet_connect_duration` | timer (ns) | — : resolution to connected (TLS included) |
/// | `inet_tls_handshake_duration` | timer (ns) | — : a client handshake |
/// | `inet_accept_errors_total` | counter | `code` |
/// | `inet_listener_connections_open` | meter | — : accepted connections not yet closed |
final class InetMetrics: Sendable {
    let clientOpened: Counter
    let serverOpened: Counter
    let clientClosed: Counter
    let serverClosed: Counter
    let connectDuration: Timer
    let handshakeDuration: Timer
    let listenerOpen: Meter
    private let factory: any MetricsFactory

    init(factory: any MetricsFactory) {
        self.factory = factory
        clientOpened = Counter(
            label: "inet_connections_opened_total", dimensions: [("role", "client")], factory: factory)
        serverOpened = Counter(
            label: "inet_connections_opened_total", dimensions: [("role", "server")], factory: factory)
        clientClosed = Counter(
            label: "inet_connections_closed_total", dimensions: [("role", "client")], factory: factory)
        serverClosed = Counter(
            label: "inet_connections_closed_total", dimensions: [("role", "server")], factory: factory)
        connectDuration = Timer(label: "inet_connect_duration", dimensions: [], factory: factory)
        handshakeDuration = Timer(label: "inet_tls_handshake_duration", dimensions: [], factory: factory)
        listenerOpen = Meter(label: "inet_listener_connections_open", dimensions: [], factory: factory)
    }

    /// A failed connect, by error code (failure paths only: the counter is made per call and the
    /// backend keeps one per label and dimensions).
    func connectFailed(_ code: InetErrorCode) {
        Counter(label: "inet_connect_failures_total", dimensions: [("code", "\(code)")], factory: factory).increment()
    }

    /// An accept error, by code.
    func acceptFailed(_ code: InetErrorCode) {
        Counter(label: "inet_accept_errors_total", dimensions: [("code", "\(code)")], factory: factory).increment()
    }

    // MARK: the process's metrics

    /// What `current` decided: metrics, or none. Boxes are never freed (a reader may hold one):
    /// `everInstalled` keeps each reachable, so a replaced one is no leak.
    private final class Box: Sendable {
        let metrics: InetMetrics?
        init(_ metrics: InetMetrics?) { self.metrics = metrics }
    }

    private static let installed = Atomic<UInt>(0)  // an `everInstalled` Box's address; 0: not decided yet
    private static let everInstalled = Mutex<[Box]>([])  // appended to on install only (tests replace)

    /// The metrics to record into, or nil when no backend was bootstrapped.
    static var current: InetMetrics? {
        var raw = installed.load(ordering: .acquiring)
        if raw == 0 { raw = install(decide(), replacing: false) }
        return Unmanaged<Box>.fromOpaque(UnsafeRawPointer(bitPattern: raw)!).takeUnretainedValue().metrics
    }

    /// Metrics for the process's factory; none for swift-metrics' no-op default.
    static func decide() -> InetMetrics? {
        let factory = MetricsSystem.factory
        return factory is NOOPMetricsHandler ? nil : InetMetrics(factory: factory)
    }

    /// Installs a box for `metrics`; unless `replacing`, the first decision stands.
    private static func install(_ metrics: InetMetrics?, replacing: Bool) -> UInt {
        let made = Box(metrics)
        everInstalled.withLock { $0.append(made) }  // kept for good: the atomic holds it unretained
        let box = UInt(bitPattern: Unmanaged.passUnretained(made).toOpaque())
        if replacing {
            installed.store(box, ordering: .releasing)
            return box
        }
        let (exchanged, original) = installed.compareExchange(
            expected: 0, desired: box, ordering: .acquiringAndReleasing)
        return exchanged ? box : original
    }

    /// Tests: record into `factory` from now on, or nowhere (nil); the process's bootstrap can
    /// run only once.
    package static func useForTesting(_ factory: (any MetricsFactory)?) {
        _ = install(factory.map { InetMetrics(factory: $0) }, replacing: true)
    }
}

/// Which side of the metrics a connection counts on (set only when metrics are on).
enum ConnectionMetrics {
    case client(InetMetrics)
    case server(InetMetrics)

    /// The connection closed: counted once (its core closes once).
    func closed() {
        switch self {
        case .client(let metrics): metrics.clientClosed.increment()
        case .server(let metrics):
            metrics.serverClosed.increment()
            metrics.listenerOpen.decrement()
        }
    }
}
