import Glibc

/// A pthread mutex with a condition variable on the monotonic clock, for threads that must block:
/// blocking API callers and the resolver pool. Never used on a loop thread.
package final class ConditionLock: @unchecked Sendable {  // safe: the pthread objects are the synchronisation
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    package init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    package func lock() { pthread_mutex_lock(mutex) }
    package func unlock() { pthread_mutex_unlock(mutex) }
    package func broadcast() { pthread_cond_broadcast(cond) }

    /// Waits for a signal (the lock must be held). Returns false when `deadline` passed first.
    package func wait(until deadline: Deadline? = nil) -> Bool {
        guard let deadline else {
            pthread_cond_wait(cond, mutex)
            return true
        }
        var ts = timespec(
            tv_sec: Int(deadline.uptimeNanoseconds / 1_000_000_000),
            tv_nsec: Int(deadline.uptimeNanoseconds % 1_000_000_000))
        return pthread_cond_timedwait(cond, mutex, &ts) != ETIMEDOUT
    }
}
