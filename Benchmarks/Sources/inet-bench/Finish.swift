import BenchSupport
import Dispatch
import Glibc

/// Lets the main thread wait for a workload that runs on the loop, and carries its failure.
final class Finish: @unchecked Sendable {
    // Safe: `failure` is written before `semaphore.signal()` and read after `wait()`.
    private let semaphore = DispatchSemaphore(value: 0)
    private var failure: String?

    func done() { semaphore.signal() }

    func fail(_ message: String) {
        failure = message
        semaphore.signal()
    }

    /// Waits; exits 1 with the message if the workload failed.
    func wait() {
        semaphore.wait()
        if let failure {
            printError("inet-bench: \(failure)\n")
            exit(1)
        }
    }
}
