import Glibc

/// One run of a benchmark client or server, parsed from the suite's fixed command line:
///
///     CLIENT [--api NAME] [--resume] pingpong   HOST PORT ROUNDTRIPS
///     CLIENT [--api NAME] [--resume] stream     HOST PORT TOTAL_BYTES CHUNK_BYTES
///     CLIENT [--api NAME] [--resume] connrate   HOST PORT CONNECTIONS
///     CLIENT [--api NAME] [--resume] concurrent HOST PORT ROUNDTRIPS CONNS
///     CLIENT [--api NAME] [--resume] tls        HOST PORT HANDSHAKES CA_PEM
///     CLIENT [--api NAME] serve echo PORT        (prints "PORT n", serves until killed)
public struct BenchCommand: Sendable {
    /// What to run.
    public enum Workload: Sendable {
        case pingpong(roundtrips: Int)
        case stream(total: Int, chunk: Int)
        case connrate(connections: Int)
        case concurrent(roundtrips: Int, connections: Int)
        case tls(handshakes: Int, caPath: String)
        case serveEcho
    }

    public var workload: Workload
    public var host: String
    public var port: Int
    /// `--api`: which of the implementation's APIs to use (nil: its fastest).
    public var api: String?
    /// `--resume`: the tls workload resumes sessions.
    public var resume = false

    /// Parses `CommandLine.arguments`, or prints usage and exits 2.
    public static func parse(_ name: String) -> BenchCommand {
        var args = Array(CommandLine.arguments.dropFirst())
        var api: String?
        var resume = false
        while let first = args.first, first.hasPrefix("--") {
            args.removeFirst()
            switch first {
            case "--api" where !args.isEmpty: api = args.removeFirst()
            case "--resume": resume = true
            default: usage(name, "unknown option \(first)")
            }
        }
        func int(_ i: Int) -> Int {
            guard i < args.count, let value = Int(args[i]), value >= 0 else { usage(name, "argument \(i + 1) must be a number") }
            return value
        }
        guard args.count >= 3 else { usage(name, "too few arguments") }
        let workload: Workload
        switch (args[0], args.count) {
        case ("pingpong", 4): workload = .pingpong(roundtrips: int(3))
        case ("stream", 5): workload = .stream(total: int(3), chunk: max(1, int(4)))
        case ("connrate", 4): workload = .connrate(connections: int(3))
        case ("concurrent", 5): workload = .concurrent(roundtrips: int(3), connections: max(1, int(4)))
        case ("tls", 5): workload = .tls(handshakes: int(3), caPath: args[4])
        case ("serve", 3) where args[1] == "echo":
            return BenchCommand(workload: .serveEcho, host: "127.0.0.1", port: int(2), api: api, resume: resume)
        default: usage(name, "unknown workload or wrong argument count: \(args.joined(separator: " "))")
        }
        let command = BenchCommand(workload: workload, host: args[1], port: int(2), api: api, resume: resume)
        command.armDeadline()
        return command
    }

    /// Ends the process after ANCHOR_MAX_SECONDS (default 120): no run can hang the suite.
    func armDeadline() {
        let seconds = getenv("ANCHOR_MAX_SECONDS").flatMap { UInt32(String(cString: $0)) } ?? 120
        alarm(seconds)
    }

    static func usage(_ name: String, _ problem: String) -> Never {
        printError("""
            \(name): \(problem)
            usage: \(name) [--api NAME] [--resume] pingpong HOST PORT ROUNDTRIPS
                   \(name) ... stream HOST PORT TOTAL_BYTES CHUNK_BYTES
                   \(name) ... connrate HOST PORT CONNECTIONS
                   \(name) ... concurrent HOST PORT ROUNDTRIPS CONNS
                   \(name) ... tls HOST PORT HANDSHAKES CA_PEM
                   \(name) ... serve echo PORT

            """)
        exit(2)
    }
}

/// Writes a line to standard error (unbuffered; stdio's `stderr` is not concurrency-safe to name).
public func printError(_ text: String) {
    let line = text.hasSuffix("\n") ? text : text + "\n"
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
}
