import Foundation
import Glibc

/// The NFQUEUE delay shim (`Tests/NetShim/nfq-shim.c`), compiled on first use with gcc and
/// libnetfilter_queue (scripts/test installs `libnetfilter-queue-dev`).
package enum NetShim {
    /// The compiled shim's path (built once per test process).
    package static func path() throws -> String {
        try built.get()
    }

    private static let built: Result<String, PeerError> = {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("NetShim/nfq-shim.c").path
        let binary = "/tmp/inet-nfq-shim-\(getpid())"
        do {
            let (status, output) = try Peer.run(
                ["gcc", "-O2", "-o", binary, source, "-lnetfilter_queue", "-lnfnetlink"], allowFailure: true)
            guard status == 0 else { return .failure(PeerError("cannot build the NFQUEUE shim: \(output)")) }
            atexit { unlink("/tmp/inet-nfq-shim-\(getpid())") }
            return .success(binary)
        } catch {
            return .failure(PeerError("cannot build the NFQUEUE shim: \(error)"))
        }
    }()
}
