import COpenSSL
import Glibc

/// What makes two configurations share a `TLSContext` in a cache: the configuration without
/// its passwords, a salted digest of each password (so the cache holds no password, and a
/// different password never reuses a context made with another), and the identity of every
/// file it names as it is now (so a certificate, key, root or CRL replaced on disk makes a new
/// context on the next use).
package struct TLSContextKey: Hashable, Sendable {
    let configuration: TLSConfiguration
    let passwordDigests: [[UInt8]]
    let files: [FileStamp]

    /// One named file as the file system has it now (`nil` fields: it cannot be stat'ed).
    struct FileStamp: Hashable, Sendable {
        let path: String
        let device: UInt64?, inode: UInt64?, size: Int64?, modified: Int64?, modifiedNanoseconds: Int?

        init(_ path: String) {
            self.path = path
            var info = stat()
            if stat(path, &info) == 0 {
                (device, inode, size) = (UInt64(info.st_dev), UInt64(info.st_ino), Int64(info.st_size))
                (modified, modifiedNanoseconds) = (Int64(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec))
            } else {
                (device, inode, size, modified, modifiedNanoseconds) = (nil, nil, nil, nil, nil)
            }
        }
    }

    /// Per process: digests of the same password differ between processes.
    private static let salt: [UInt8] = {
        var bytes = [UInt8](repeating: 0, count: 32)
        precondition(RAND_bytes(&bytes, 32) == 1, "OpenSSL's random generator failed")
        return bytes
    }()

    package init(_ configuration: TLSConfiguration) {
        let all = [configuration.credentials] + configuration.additionalIdentities
        self.configuration = configuration.withoutPasswords
        self.passwordDigests = all.map { $0.password.map(Self.digest) ?? [] }
        self.files = all.flatMap { c in
            [c.certificateStore, c.privateKeyFile, c.trustRootsFile, c.crlFile].compactMap { $0 }.map(FileStamp.init)
        }
    }

    private static func digest(_ password: String) -> [UInt8] {
        var input = salt + Array(password.utf8)
        defer { for i in input.indices { input[i] = 0 } }
        var out = [UInt8](repeating: 0, count: 32)
        var size: UInt32 = 32
        _ = EVP_Digest(input, input.count, &out, &size, EVP_sha256(), nil)
        return out
    }
}
