public import InetCore
public import Logging
public import ServiceLifecycle

/// A ServiceLifecycle `Service` that serves a `Listener`: each accepted connection is handled
/// by `handler` in a task of its own on the connection's loop. On graceful shutdown (SIGTERM
/// through a `ServiceGroup`, or the group's `triggerGracefulShutdown()`) it stops accepting at
/// once (the listener closes), lets the connections in progress finish within `gracePeriod`,
/// then closes the ones still open and returns when their handlers have. Cancelled, it closes
/// everything at once.
///
/// ```swift
/// let listener = try Listener(port: 8080)
/// let server = ListenerService(listener: listener, gracePeriod: .seconds(10)) { connection in
///     for try await chunk in connection.inbound { try await connection.write(chunk) }
/// }
/// let group = ServiceGroup(services: [EventLoopGroupService(group: loops), server],
///                          gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
public struct ListenerService: Service {
    /// The listener served (closed when the service stops).
    public let listener: Listener
    /// How long connections in progress may take to finish after a graceful shutdown began.
    public let gracePeriod: Duration
    private let handler: @Sendable (Connection) async throws -> Void
    private let logger: Logger?
    private let tracker = ConnectionTracker()

    /// A service for `listener`; `handler`'s errors end only that connection (logged at debug).
    public init(
        listener: Listener, gracePeriod: Duration = .seconds(30), logger: Logger? = nil,
        handler: @escaping @Sendable (Connection) async throws -> Void
    ) {
        self.listener = listener
        self.gracePeriod = gracePeriod
        self.logger = logger
        self.handler = handler
    }

    /// How many connections are being served now.
    public var openConnections: Int { tracker.count }

    /// Serves until a graceful shutdown (then drains) or cancellation.
    public func run() async throws {
        let (listener, handler, tracker, logger) = (self.listener, self.handler, self.tracker, self.logger)
        try await withThrowingDiscardingTaskGroup { group in
            try await withGracefulShutdownHandler {
                while let connection = try await Self.nextConnection(listener) {
                    tracker.add(connection)
                    group.addTask(executorPreference: connection.eventLoop) {
                        do { try await handler(connection) } catch {
                            logger?.debug(
                                "connection handler ended with an error", metadata: ["inet.error": "\(error)"])
                        }
                        try? await connection.close()
                        tracker.remove(connection)
                    }
                }
            } onGracefulShutdown: {
                logger?.debug(
                    "graceful shutdown: no longer accepting", metadata: ["inet.address": "\(listener.localAddress)"])
                Task { await listener.close() }
            }
            // Stopped accepting (graceful shutdown, or the listener was closed): drain.
            await listener.close()
            if Task.isCancelled {
                await tracker.closeAll()
                return
            }
            if await !tracker.waitUntilEmpty(within: gracePeriod) {
                logger?.debug(
                    "grace period over: closing the connections still open",
                    metadata: ["inet.open": "\(tracker.count)"])
                await tracker.closeAll()
            }
        }
    }

    /// The next client, nil once the listener is closed or the task is cancelled.
    private static func nextConnection(_ listener: Listener) async throws(InetError) -> Connection? {
        do throws(InetError) {
            return try await listener.accept()
        } catch {
            if error.code == .connectionClosed || error.code == .cancelled { return nil }
            throw error
        }
    }
}
