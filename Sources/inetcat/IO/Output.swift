import Glibc
import InetCore

/// inetcat's writes to stdout and stderr, unbuffered.
enum Output {
    /// One line on stderr.
    static func line(_ text: String) {
        writeAll(2, Array((text + "\n").utf8))
    }

    /// The fixed failure line: `inetcat: error: MESSAGE (code N)`.
    static func error(_ error: InetError) {
        line("inetcat: error: \(error.description) (code \(error.legacyCode))")
    }

    /// Writes every byte to `fd` (stdout: 1), retrying short writes. False if the fd is gone.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// Reads up to 64 KiB from `fd`: nil at end of input or on error.
    static func readChunk(_ fd: Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            return Array(buffer[0..<n])
        }
    }
}
