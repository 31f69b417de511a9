public import InetCore

/// Turns events into the original API's `(handle, eventMsg, lParam)` messages and delivers them
/// to a closure (called on the connection's loop thread) or to a ``MessageQueue`` the
/// application pumps.
public final class LegacyEventAdapter: Sendable {
    /// Where messages go.
    public enum Sink: Sendable {
        /// Called for each message, on the connection's loop thread; use non-blocking calls only.
        case closure(@Sendable (LegacyMessage) -> Void)
        /// Posted for the application to pump.
        case queue(MessageQueue)
    }

    /// `WM_USER`: event message numbers must be above it.
    public static let wmUser: UInt32 = 0x0400
    /// The highest message number (a window message is 16 bits).
    public static let maxMessage: UInt32 = 0xFFFF

    /// The application's message number.
    public let eventMessage: UInt32
    /// The destination.
    public let sink: Sink

    /// An adapter. `eventMessage` must be in WM_USER+1 … 0xFFFF (0x0401…0xFFFF); the `Inet.*`
    /// call it is given to checks that, as the original did, and fails with `invalidParameter`
    /// in the last error (see ``validate()``).
    public init(eventMessage: UInt32, sink: Sink) {
        self.eventMessage = eventMessage
        self.sink = sink
    }

    /// Throws `invalidParameter` unless ``eventMessage`` is a valid message number.
    public func validate() throws(InetError) {
        guard eventMessage > Self.wmUser, eventMessage <= Self.maxMessage else {
            throw InetError(
                .invalidParameter,
                "eventMsg must be greater than WM_USER (0x0400) and at most 0xFFFF; got 0x\(hex(eventMessage, 4))")
        }
    }

    func post(_ handle: InetHandle, _ event: InetEvent, _ error: InetError?) {
        let message = LegacyMessage(handle: handle, eventMessage: eventMessage, event: event, error: error?.code)
        switch sink {
        case .closure(let body): body(message)
        case .queue(let queue): queue.post(message)
        }
    }
}
