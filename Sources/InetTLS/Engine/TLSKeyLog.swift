import COpenSSL
import Glibc

/// `SSLKEYLOGFILE`: when the environment variable names a file, every context made afterwards
/// appends each connection's secrets to it in the NSS key log format, so Wireshark or tshark
/// can decrypt a capture. Off unless set; for debugging only — whoever reads the file can read
/// the traffic. The file is opened once (append, created with mode 0600) and shared.
enum TLSKeyLog {
    /// The open key log, or the errno of a failed open; nil before first use.
    private static let file = Locked<Int32?>(nil)

    static func attachIfRequested(_ context: OpaquePointer) throws(TLSError) {
        guard let raw = getenv("SSLKEYLOGFILE"), raw.pointee != 0 else { return }
        let path = String(cString: raw)
        let fd = file.withLock { fd -> Int32 in
            if let fd, fd >= 0 { return fd }
            let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            fd = opened >= 0 ? opened : nil
            return opened >= 0 ? opened : -errno
        }
        guard fd >= 0 else {
            throw TLSError(
                .invalidConfiguration,
                "SSLKEYLOGFILE '\(path)' cannot be opened for appending: "
                    + String(cString: strerror(-fd)))
        }
        SSL_CTX_set_keylog_callback(context) { _, line in
            guard let line else { return }
            TLSKeyLog.append(line)
        }
    }

    /// Appends one line (and a newline) in one `write`, so lines of concurrent handshakes never mix.
    private static func append(_ line: UnsafePointer<CChar>) {
        var bytes = Array(UnsafeBufferPointer(start: line, count: strlen(line)).map { UInt8(bitPattern: $0) })
        bytes.append(UInt8(ascii: "\n"))
        file.withLock { fd in
            guard let fd else { return }
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }
}
