import Logging

/// Inet's logging rules (swift-log). Nothing is logged, and nothing is paid, unless a logger is
/// given: the defaults are `nil`, and the connect path keeps a logger only when it would log at
/// debug level (one `nil` check per site otherwise; an optional `Logger` also keeps copying a
/// `Connector` free of reference counting).
///
/// Levels: **debug** — resolution results, each Happy Eyeballs attempt and its outcome, the TLS
/// result (version, cipher, verification, resumption), why a connection closed, accepted
/// clients; **warning** — accept errors (`EMFILE`) and refused handshakes on a listener. Never a
/// password, key or payload byte. Metadata keys start with `inet.`.
public enum InetLog {
    /// `logger`, when it logs at `level` or below; nil (no work at all) otherwise.
    static func active(_ logger: Logger?, at level: Logger.Level = .debug) -> Logger? {
        guard let logger, logger.logLevel <= level else { return nil }
        return logger
    }
}
