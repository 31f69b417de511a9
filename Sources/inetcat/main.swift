import ArgumentParser
import Glibc
import InetCore

// Exit codes are part of inetcat's contract: 0 success, 1 an Inet error
// ("inetcat: error: MESSAGE (code N)"), 2 a usage error naming the bad argument.
/// Runs an async command's `async` requirement (an existential call would pick the sync one).
func runAsync<Command: AsyncParsableCommand>(_ command: Command) async throws {
    var command = command
    try await command.run()
}

signal(SIGPIPE, SIG_IGN)
do {
    var command = try Inetcat.parseAsRoot()
    if let asyncCommand = command as? any AsyncParsableCommand {
        try await runAsync(asyncCommand)
    } else {
        try command.run()
    }
    exit(0)
} catch let error as InetError {
    Output.error(error)
    exit(1)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    if Inetcat.exitCode(for: error) == .success {
        print(Inetcat.fullMessage(for: error))
        exit(0)
    }
    Output.line(Inetcat.fullMessage(for: error))
    exit(2)
}
