import CInetLinux
import Glibc

/// The file a Unix domain socket listener binds: made by `bind`, removed when the listener
/// closes — only if it is still the same file (a newer listener may have replaced it).
struct UnixSocketFile: Sendable {
    let path: String
    let device: UInt64
    let inode: UInt64

    /// Binds `descriptor` to `address`. A socket file left by a listener that is gone (nothing
    /// accepts on it: connecting is refused) is removed and the bind retried when
    /// `removeStale`; a live listener's, or a file that is no socket, is never touched.
    static func bind(
        _ descriptor: borrowing SocketDescriptor, _ address: SocketAddress, removeStale: Bool
    ) throws(InetError) -> UnixSocketFile {
        let path = address.unixDomainSocketPath ?? ""
        do throws(InetError) {
            try descriptor.bind(address)
        } catch  where error.code == .addressInUse {
            // gone meanwhile: report the bind's error
            guard let identity = Syscall.fileIdentity(path) else { throw error }
            guard identity.isSocket else {
                throw InetError(
                    .addressInUse, "bind to \(address): \(path) exists and is not a socket (not removed)",
                    errno: EADDRINUSE, host: path)
            }
            guard Self.isStale(address) else {
                throw InetError(
                    .addressInUse, "bind to \(address): another listener accepts on \(path)", errno: EADDRINUSE,
                    host: path)
            }
            guard removeStale else {
                throw InetError(
                    .addressInUse,
                    "bind to \(address): \(path) is a stale socket file (nothing listens on it); "
                        + "remove it, or pass removeStaleSocketFile: true", errno: EADDRINUSE, host: path)
            }
            try Syscall.unlink(path, "remove the stale socket file \(path)")
            try descriptor.bind(address)
        }
        guard let identity = Syscall.fileIdentity(path) else {
            throw InetError(.systemError, "bind to \(address): the socket file vanished at once", host: path)
        }
        return UnixSocketFile(path: path, device: identity.device, inode: identity.inode)
    }

    /// True when connecting to `address` is refused: a socket file with no listener behind it.
    private static func isStale(_ address: SocketAddress) -> Bool {
        guard let probe = try? SocketDescriptor(family: .unix, protocol: .tcp, closeOnExec: true) else { return false }
        do throws(InetError) {
            _ = try probe.startConnect(to: address)
            return false  // accepted (or queued): alive
        } catch {
            return error.systemErrno == ECONNREFUSED
        }
    }

    /// Removes the file if it is still the one this listener made.
    func remove() {
        guard let identity = Syscall.fileIdentity(path), identity.device == device, identity.inode == inode else {
            return
        }
        try? Syscall.unlink(path, "remove the socket file \(path)")
    }
}
