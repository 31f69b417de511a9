/// A broken promise a fuzz target found: the fuzzer's driver aborts on it (libFuzzer keeps the
/// input as a crash), the corpus replay test records it as a failure.
package struct FuzzFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// The libFuzzer targets (issue 15): each takes any bytes and either returns or throws a
/// ``FuzzFailure``; a crash, hang or sanitizer report is a finding as well. `Tests/Fuzz/Corpus/<name>`
/// holds each one's corpus, replayed by `FuzzCorpusTests` in every test run; `scripts/fuzz <name>`
/// runs the fuzzer.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// `Connector` validation: every field from the input; a refusal names one of the documented
    /// validation errors, with a message.
    case connector
    /// The TLS client engine fed hostile server flights (raw, or a genuine one mutated).
    case tlsClient = "tls-client"
    /// The TLS server engine fed hostile ClientHellos.
    case tlsServer = "tls-server"
    /// Application-data records after a genuine handshake, mutated: a changed record never
    /// yields plaintext.
    case tlsRecords = "tls-records"
    /// The legacy API's handles, message numbers and word helpers.
    case legacy
    /// `InetReadLine`'s framing and `InetWriteLine`'s line ending: lines are the same however
    /// the stream is split, and hold no CR, LF or NUL.
    case lineReader = "line-reader"
    /// `BufferedReader`'s framing (`read(until:)`, `read(exactly:)`) against a naive model.
    case framing
    /// The connect state machine (Happy Eyeballs, then TLS) driven by random legal input
    /// sequences, each action checked against a model.
    case happyEyeballs = "happy-eyeballs"
    /// The connection's state machine driven by random legal input sequences.
    case connectionState = "connection-state"

    /// Runs one input.
    package func run(_ data: [UInt8]) throws(FuzzFailure) {
        var input = FuzzInput(data)
        switch self {
        case .connector: try ConnectorFuzz.run(&input)
        case .tlsClient: try TLSFuzz.client(&input)
        case .tlsServer: try TLSFuzz.server(&input)
        case .tlsRecords: try TLSFuzz.records(&input)
        case .legacy: try LegacyFuzz.run(&input)
        case .lineReader: try LineFuzz.run(&input)
        case .framing: try FramingFuzz.run(&input)
        case .happyEyeballs: try HappyEyeballsFuzz.run(&input)
        case .connectionState: try ConnectionStateFuzz.run(&input)
        }
    }
}

/// Throws `FuzzFailure(message)` unless `condition`.
@inline(__always)
func check(_ condition: Bool, _ message: @autoclosure () -> String) throws(FuzzFailure) {
    if !condition { throw FuzzFailure(message()) }
}
