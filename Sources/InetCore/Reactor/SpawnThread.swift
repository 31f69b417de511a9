import CInetLinux
import Glibc

/// Starts `body` on a new named pthread (the name is cut to 15 bytes, as Linux keeps them).
/// Returns the thread for `pthread_join`; pass `detached: true` for a thread nobody joins.
/// Throws `systemError`/`noBufferSpace` naming the thread when none can be made (`EAGAIN`: a
/// thread or memory limit).
@discardableResult
package func spawnThread(name: String, detached: Bool, _ body: @escaping @Sendable () -> Void) throws(InetError) -> UInt
{  // pthread_t
    final class Start: @unchecked Sendable {  // safe: handed to exactly one new thread
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let context = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(
        &tid, nil,
        { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            cinet_set_thread_name(start.name)
            start.body()
            return nil
        }, context)
    guard rc == 0 else {
        Unmanaged<Start>.fromOpaque(context).release()  // the thread never started: nobody takes it
        throw InetError.system("pthread_create (thread \(name))", errno: rc)
    }
    if detached { pthread_detach(tid) }
    return tid
}
