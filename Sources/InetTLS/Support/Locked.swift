import Glibc

/// A value behind a pthread mutex.
///
/// Used instead of the standard library's `Mutex` because that one is built on raw futexes,
/// which ThreadSanitizer cannot see (it reports every access as a race); a pthread mutex keeps
/// sanitizer runs meaningful at the same cost when uncontended.
package final class Locked<Value>: @unchecked Sendable {  // safe: `value` is only touched with `mutex` held
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    @exclusivity(unchecked) private var value: Value  // the mutex is the exclusivity

    /// A lock around `value`.
    package init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, locked.
    @inline(__always)
    package func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
