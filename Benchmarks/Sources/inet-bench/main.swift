// inet-bench: the suite's workloads through Inet. The default is Inet's fastest public API,
// delegates on the loop thread (`--api delegate`); `--api async` and `--api blocking` measure
// the others. See Benchmarks/README.md.
import BenchSupport
import Glibc
import InetCore

let command = BenchCommand.parse("inet-bench")
let api = command.api ?? "delegate"
do throws(InetError) {
    // One loop, as the C client has one thread (the loop never waits for the main thread).
    let group = try EventLoopGroup(loopCount: 1)
    switch (api, command.workload) {
    case (_, .serveEcho): try EchoServer.run(command, group: group)
    case ("delegate", _): try DelegateClients.run(command, group: group)
    case ("async", _):
        // The client tasks run on the loop that owns their sockets (the loop as task executor),
        // unless INET_BENCH_GLOBAL_EXECUTOR is set (the global pool: the before figure).
        if getenv("INET_BENCH_GLOBAL_EXECUTOR") != nil {
            try await AsyncClients.run(command, group: group)
        } else {
            let loop = group.next()
            try await withTaskExecutorPreference(loop) { () async throws(InetError) in
                try await AsyncClients.run(command, group: group)
            }
        }
    case ("blocking", _): try BlockingClients.run(command, group: group)
    default:
        printError("inet-bench: --api must be delegate, async or blocking; got \(api)\n")
        exit(2)
    }
} catch {
    printError("inet-bench: \(error)\n")
    exit(1)
}
