import CInetLinux

/// A point on the monotonic clock (`CLOCK_MONOTONIC`), in nanoseconds.
public struct Deadline: Sendable, Hashable, Comparable {
    /// Nanoseconds since an arbitrary start, as `CLOCK_MONOTONIC` counts them.
    public var uptimeNanoseconds: UInt64

    /// A deadline at this many nanoseconds of uptime.
    public init(uptimeNanoseconds: UInt64) { self.uptimeNanoseconds = uptimeNanoseconds }

    /// Now.
    public static func now() -> Deadline { Deadline(uptimeNanoseconds: cinet_monotonic_ns()) }

    /// `duration` from now; negative durations give now, huge ones saturate.
    public static func after(_ duration: Duration) -> Deadline { now() + duration }

    /// A deadline later by `duration` (saturating; negative durations count as zero).
    public static func + (lhs: Deadline, rhs: Duration) -> Deadline {
        let nanos = rhs.nanoseconds
        guard nanos > 0 else { return lhs }
        let (sum, overflow) = lhs.uptimeNanoseconds.addingReportingOverflow(UInt64(nanos))
        return Deadline(uptimeNanoseconds: overflow ? .max : sum)
    }

    /// Orders by time.
    public static func < (lhs: Deadline, rhs: Deadline) -> Bool {
        lhs.uptimeNanoseconds < rhs.uptimeNanoseconds
    }

    /// Nanoseconds left until the deadline (zero when passed), without `Duration`'s 128-bit
    /// arithmetic (the loop asks at every iteration with a timer).
    var remainingNanoseconds: UInt64 {
        let now = cinet_monotonic_ns()
        return uptimeNanoseconds > now ? uptimeNanoseconds - now : 0
    }

    /// Time left until the deadline (zero when passed).
    public var remaining: Duration {
        let now = cinet_monotonic_ns()
        return uptimeNanoseconds > now ? .nanoseconds(Int64(clamping: uptimeNanoseconds - now)) : .zero
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at `Int64.max`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }

    /// The duration in seconds as a `Double`.
    var secondsDouble: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
