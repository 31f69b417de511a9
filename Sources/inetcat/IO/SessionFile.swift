import Glibc
import InetCore
import InetTLS

/// `--resume FILE`: a TLS session kept between runs (DER, mode 0600: it holds the session's
/// secret). A missing file means a first run; an unreadable or foreign one is an error.
enum SessionFile {
    static func load(_ path: String, into connector: Connector) throws(InetError) {
        guard access(path, F_OK) == 0 else { return }
        guard let bytes = readFile(path) else {
            throw InetError(
                .credentialsNotFound,
                "cannot read the --resume session file '\(path)': \(String(cString: strerror(errno)))")
        }
        let session: TLSSession
        do throws(TLSError) { session = try TLSSession(der: bytes) } catch {
            throw InetError(.invalidParameter, "--resume '\(path)': \(error.description)")
        }
        try connector.storeTLSSession(session)
    }

    static func save(_ path: String, from connector: Connector) throws(InetError) {
        guard let session = try connector.resumableTLSSession() else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw InetError(
                .permissionDenied,
                "cannot write the --resume session file '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard Output.writeAll(fd, session.der) else {
            throw InetError(
                .systemError, "cannot write the --resume session file '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        while let chunk = Output.readChunk(fd) { bytes += chunk }
        return bytes
    }
}

extension SecurityCredentials {
    /// With session resumption switched on when `on`.
    func resuming(_ on: Bool) -> SecurityCredentials {
        var copy = self
        if on { copy.sessionResumption = true }
        return copy
    }
}
