import CInetTestShims
import Glibc

/// Per-thread identity changes (Linux keeps both per thread): a thread's file-system uid, and
/// the network namespace its new sockets live in.
public enum ThreadIdentity {
    /// Sets the calling thread's file-system uid; returns the previous one (`UInt32.max` changes
    /// nothing and so reads it). As root, a non-zero uid drops the DAC override.
    @discardableResult
    public static func setFileSystemUID(_ uid: UInt32) -> Int32 { cinet_test_setfsuid(uid) }

    /// Moves the calling thread into `namespace`: the sockets it makes from now on live there.
    public static func enter(_ namespace: Namespace) throws {
        guard cinet_test_enter_netns("/var/run/netns/\(namespace.name)") == 0 else {
            throw PeerError("setns into \(namespace.name) failed: \(String(cString: strerror(errno)))")
        }
    }
}
