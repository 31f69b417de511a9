/// When `.keepAlive` probes an idle TCP connection, and how many unanswered probes declare it
/// broken (the connection then fails with `networkReset`, also a read that waits with no timeout).
///
/// The default follows the original library: probes start after **5 s** idle, then one a second;
/// after 5 unanswered the connection is broken — a dead peer is found about 10 s after the last
/// traffic. Linux's own default (2 hours idle, 9 probes 75 s apart) is `KeepAlive(idle: .seconds(7200),
/// interval: .seconds(75), count: 9)`.
public struct KeepAlive: Sendable, Equatable {
    /// Idle time before the first probe (1 s…24 h; whole seconds).
    public var idle: Duration
    /// Time between probes (1 s…9 h; whole seconds).
    public var interval: Duration
    /// Unanswered probes that break the connection (1…127).
    public var count: Int

    /// A timing; see the ranges of each field (a connector checks them).
    public init(idle: Duration, interval: Duration, count: Int) {
        (self.idle, self.interval, self.count) = (idle, interval, count)
    }

    /// 5 s idle, 1 s apart, 5 probes.
    public static let `default` = KeepAlive(idle: .seconds(5), interval: .seconds(1), count: 5)

    /// Throws `invalidParameter` naming the field out of range.
    func check() throws(InetError) {
        func bad(_ why: String) -> InetError { InetError(.invalidParameter, "keepAlive: \(why)") }
        guard idle >= .seconds(1), idle <= .seconds(86_400) else { throw bad("idle must be 1 s…24 h; got \(idle)") }
        guard interval >= .seconds(1), interval <= .seconds(32_767) else {
            throw bad("interval must be 1 s…32767 s; got \(interval)")
        }
        guard (1...127).contains(count) else { throw bad("count must be 1…127; got \(count)") }
    }

    var idleSeconds: Int32 { Int32(idle.components.seconds) }
    var intervalSeconds: Int32 { Int32(interval.components.seconds) }
}
