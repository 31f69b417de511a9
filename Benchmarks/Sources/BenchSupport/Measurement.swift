import Glibc

/// Times a workload and counts the mallocs made while it runs (when the process runs with the
/// suite's malloc counter preloaded), then prints the suite's RESULT line.
public struct Measurement: Sendable {
    private let start: Double
    private let startMallocs: Int?

    /// Starts the clock (and the malloc count).
    public init() {
        startMallocs = MallocCounter.current()
        start = Self.now()
    }

    /// Stops the clock and prints
    /// `RESULT workload=W impl=NAME count=N secs=S METRIC=X [mallocs=M]`.
    public func finish(workload: String, impl: String, count: Int, metric: String, scale: Double = 1) {
        let secs = Self.now() - start
        let mallocs = MallocCounter.current().flatMap { end in startMallocs.map { end - $0 } }
        var line = "RESULT workload=\(workload) impl=\(impl) count=\(count) secs=\(format(secs, 3)) "
        line += "\(metric)=\(format(Double(count) * scale / secs, 4))"
        if let mallocs { line += " mallocs=\(mallocs)" }
        print(line)
        fflush(nil)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private func format(_ value: Double, _ digits: Int) -> String {
        var p = 1.0
        for _ in 0..<digits { p *= 10 }
        let scaled = (value * p).rounded()
        let whole = Int(scaled / p)
        let fraction = Int(scaled - Double(whole) * p)
        var text = String(fraction)
        while text.count < digits { text = "0" + text }
        return "\(whole).\(text)"
    }
}

/// Reads the count kept by `Benchmarks/C/malloc_count.c` when it is preloaded (LD_PRELOAD).
public enum MallocCounter {
    private typealias Getter = @convention(c) () -> Int

    /// Mallocs (and callocs, reallocs, aligned allocations) so far in this process, or nil when
    /// the counter is not loaded.
    public static func current() -> Int? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "bench_malloc_count") else { return nil }
        return unsafeBitCast(symbol, to: Getter.self)()
    }
}
