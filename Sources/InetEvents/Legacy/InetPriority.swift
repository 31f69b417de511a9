/// A server or client priority (`INET_PRIORITY_*`, `InetServerStart`'s `nPriority`,
/// `InetSetClientPriority`). The original never published the values; these are Inet's, with
/// `NORMAL` as 0 so a zero `nPriority` means the default. Inet records the priority and reports
/// it back; it does not change scheduling (raising a Linux thread's priority needs
/// `CAP_SYS_NICE`, and a lowered one could not be raised back).
public enum InetPriority: UInt32, Sendable, CustomStringConvertible {
    /// The default.
    case normal = 0
    /// Lightweight background service.
    case background = 1
    /// Lower than normal.
    case low = 2
    /// Higher than normal.
    case high = 3
    /// The highest.
    case critical = 4

    /// `normal`, `background`, …
    public var description: String {
        switch self {
        case .normal: "normal"
        case .background: "background"
        case .low: "low"
        case .high: "high"
        case .critical: "critical"
        }
    }
}

/// `INET_PRIORITY_NORMAL`.
public let INET_PRIORITY_NORMAL = InetPriority.normal.rawValue
/// `INET_PRIORITY_BACKGROUND`.
public let INET_PRIORITY_BACKGROUND = InetPriority.background.rawValue
/// `INET_PRIORITY_LOW`.
public let INET_PRIORITY_LOW = InetPriority.low.rawValue
/// `INET_PRIORITY_HIGH`.
public let INET_PRIORITY_HIGH = InetPriority.high.rawValue
/// `INET_PRIORITY_CRITICAL`.
public let INET_PRIORITY_CRITICAL = InetPriority.critical.rawValue
/// `INET_PRIORITY_INVALID`: what ``Inet/getClientPriority(_:)`` returns on failure.
public let INET_PRIORITY_INVALID = UInt32.max
