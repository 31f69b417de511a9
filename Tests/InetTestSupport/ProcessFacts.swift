import Foundation
import Glibc

/// Facts about this process that reliability tests compare before and after: open descriptors,
/// resident memory, the descriptor limit.
public enum ProcessFacts {
    /// The built `inetcat` (next to the test bundle in `.build/<config>/`).
    public static var inetcatPath: String {
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("inetcat").path
            if access(candidate, X_OK) == 0 { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/inetcat"
    }

    /// How much slower than normal this run is: `INET_TEST_SLOWDOWN` (scripts/sanitize sets it
    /// for ThreadSanitizer, which slows process start and every memory access), else 1. Tests
    /// that bound an elapsed time scale their upper bound by it; lower bounds never change.
    public static var slowdown: Double {
        getenv("INET_TEST_SLOWDOWN").flatMap { Double(String(cString: $0)) } ?? 1
    }

    /// How many descriptors are open now.
    public static var openDescriptors: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }

    /// The open descriptors with what each refers to ("7 -> socket:[1234]"): comparing two of
    /// these finds descriptors a test left open even while other descriptors come and go.
    public static var openDescriptorSet: Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        // A descriptor gone before its link is read (the listing's own directory handle) is skipped.
        return Set(
            names.compactMap { name in
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")).map {
                    "\(name) -> \($0)"
                }
            })
    }

    /// Resident set size in bytes (/proc/self/statm).
    public static var residentBytes: Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Raises the soft (and, when allowed, hard) descriptor limit to at least `count`; returns the
    /// soft limit now in force.
    @discardableResult
    public static func raiseDescriptorLimit(to count: Int) -> Int {
        var limit = rlimit()
        getrlimit(RLIMIT_NOFILE_VALUE, &limit)
        if limit.rlim_cur >= rlim_t(count) { return Int(limit.rlim_cur) }
        var wanted = rlimit(rlim_cur: rlim_t(count), rlim_max: max(limit.rlim_max, rlim_t(count)))
        if setrlimit(RLIMIT_NOFILE_VALUE, &wanted) != 0 {
            wanted = rlimit(rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max)  // not root: the hard limit
            _ = setrlimit(RLIMIT_NOFILE_VALUE, &wanted)
        }
        getrlimit(RLIMIT_NOFILE_VALUE, &limit)
        return Int(limit.rlim_cur)
    }

    /// Sets the soft descriptor limit (for EMFILE tests); returns the previous one.
    public static func setSoftDescriptorLimit(_ count: Int) -> Int {
        var limit = rlimit()
        getrlimit(RLIMIT_NOFILE_VALUE, &limit)
        let previous = Int(limit.rlim_cur)
        limit.rlim_cur = rlim_t(count)
        _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
        return previous
    }

    private static var RLIMIT_NOFILE_VALUE: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
