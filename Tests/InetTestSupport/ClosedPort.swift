import Glibc

/// A loopback TCP port that is bound but not listening: connects to it are refused, and no other
/// socket (not even an ephemeral client port, which could self-connect) can take it meanwhile.
public final class ClosedPort {
    let fd: Int32
    /// The port.
    public let port: Int

    /// Binds 127.0.0.1:0 without listening.
    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw ClosedPortError()
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

/// Binding the placeholder socket failed.
public struct ClosedPortError: Error {}
