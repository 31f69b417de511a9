import Glibc
import InetTestSupport

/// A loopback listener whose accept queue is full, so it drops further SYNs (Linux,
/// `tcp_abort_on_overflow` 0): a connect to it waits for a SYN-ACK that never comes, without
/// leaving the machine.
final class BlackHole {
    let listener: FaultTests.RawPeer
    private let filler: Int32
    var port: Int { listener.port }

    init() throws {
        listener = try FaultTests.RawPeer(backlog: 0)
        filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(listener.port).bigEndian
        let filled = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard filled == 0 else { throw PeerError("could not fill the accept queue") }
    }

    deinit { close(filler) }
}
