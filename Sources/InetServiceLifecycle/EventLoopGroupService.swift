public import InetCore
public import ServiceLifecycle

/// A ServiceLifecycle `Service` that owns an `EventLoopGroup`: it runs until a graceful
/// shutdown or cancellation, then shuts the group down (its sockets closed, its threads joined).
/// Put it first in the `ServiceGroup`'s list: services stop in reverse order, so the group
/// outlives the services that use it.
public struct EventLoopGroupService: Service {
    /// The group shut down when the service ends.
    public let group: EventLoopGroup

    /// A service for `group`.
    public init(group: EventLoopGroup) { self.group = group }

    /// Waits for graceful shutdown (or cancellation), then shuts the group down.
    public func run() async throws {
        try? await gracefulShutdown()  // throws CancellationError when cancelled: shut down either way
        try await group.shutdown()
    }
}
