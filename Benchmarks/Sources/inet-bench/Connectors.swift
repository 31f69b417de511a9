import BenchSupport
import InetCore
import InetTLS

extension BenchCommand {
    /// The connector every workload uses: TCP_NODELAY (as the C client), the given group, and
    /// for tls a verified TLS 1.3 session against the CA file (IP SAN), resumed with --resume.
    func connector(group: EventLoopGroup, caPath: String? = nil) -> Connector {
        var connector = Connector(host: host, port: port, options: [.noInherit, .noDelay])
        connector.group = group
        connector.ioTimeout = .none
        if let caPath {
            connector.options.insert(.secure)
            var credentials = SecurityCredentials(trustRootsFile: caPath)
            credentials.sessionResumption = resume
            connector.credentials = credentials
        }
        return connector
    }
}
