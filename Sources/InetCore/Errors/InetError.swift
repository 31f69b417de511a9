/// The one error type Inet throws.
///
/// It carries a stable ``code`` (with its Winsock-compatible ``legacyCode``), the underlying
/// `errno` when the system reported one, a message that says what was wrong and what was tried,
/// and — for connects — the resolution outcome and every address attempted.
public struct InetError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What went wrong.
    public var code: InetErrorCode
    /// The `errno` (or `getaddrinfo` code, negated as glibc returns it) behind the error, if any.
    public var systemErrno: Int32?
    /// What was wrong, in words, with the value at fault.
    public var message: String
    /// The host the operation was about, if any.
    public var host: String?
    /// How name resolution went, for connect errors.
    public var resolution: ResolutionOutcome?
    /// Every address tried during a connect, in order, with how it ended.
    public var attempts: [ConnectAttempt]

    /// Makes an error; `message` should name the value at fault.
    public init(
        _ code: InetErrorCode, _ message: String, errno: Int32? = nil, host: String? = nil,
        resolution: ResolutionOutcome? = nil, attempts: [ConnectAttempt] = []
    ) {
        self.code = code
        self.message = message
        self.systemErrno = errno
        self.host = host
        self.resolution = resolution
        self.attempts = attempts
    }

    /// The legacy number of ``code``.
    public var legacyCode: UInt32 { code.legacyCode }

    /// The message, then the resolution outcome and the attempts, when there are any.
    public var description: String {
        var text = message
        if let resolution { text += "; resolution: \(resolution)" }
        if !attempts.isEmpty {
            text += "; tried: " + attempts.map(\.description).joined(separator: ", ")
        }
        return text
    }
}

/// How resolving a connect's host name ended.
public enum ResolutionOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The host was an IP literal; nothing was resolved.
    case literal
    /// The resolver returned these addresses, in the order they were tried.
    case resolved([SocketAddress])
    /// The resolver failed.
    case failed(InetErrorCode, String)
    /// The resolver had not answered when the connect ended.
    case pending

    /// One line for messages.
    public var description: String {
        switch self {
        case .literal: "IP literal"
        case .resolved(let addresses):
            "\(addresses.count) address(es) [\(addresses.map(\.description).joined(separator: ", "))]"
        case .failed(let code, let detail): "failed (\(code.summary): \(detail))"
        case .pending: "still pending"
        }
    }
}

/// One address a connect tried, and how that attempt ended.
public struct ConnectAttempt: Sendable, Equatable, CustomStringConvertible {
    /// The remote address tried.
    public var address: SocketAddress
    /// How it ended: `nil` while still in progress when the connect ended (or for the winner).
    public var failure: InetErrorCode?

    /// Makes a record.
    public init(address: SocketAddress, failure: InetErrorCode?) {
        self.address = address
        self.failure = failure
    }

    /// `ADDRESS (outcome)`.
    public var description: String {
        "\(address) (\(failure.map { "\($0.summary), code \($0.legacyCode)" } ?? "no answer"))"
    }
}
