import COpenSSL
import Glibc

/// Loads a ``SecurityCredentials`` store into an ``Identity``: PKCS#12, PEM, or a directory of PEM.
enum CredentialLoader {
    /// A certificate or key found in a store, with the names it can be selected by.
    struct Item {
        var certificate: OpaquePointer?  // X509*, owned
        var key: OpaquePointer?  // EVP_PKEY*, owned
        var friendlyName: String?
        var localKeyID: [UInt8]?
    }

    /// The identity the credentials name, or nil when they name no store.
    static func load(_ credentials: SecurityCredentials) throws(TLSError) -> Identity? {
        guard let store = credentials.certificateStore else {
            if credentials.privateKeyFile != nil {
                throw TLSError(.credentialsInvalid, "a privateKeyFile was given without a certificateStore")
            }
            return nil
        }
        var items = try readStore(store, password: credentials.password)
        defer { free(items) }
        if let keyFile = credentials.privateKeyFile {
            let keys = try readPEMFile(keyFile, password: credentials.password).filter { $0.key != nil }
            guard let key = keys.first?.key else {
                free(keys)
                throw TLSError(.credentialsInvalid, "private key file '\(keyFile)' holds no private key")
            }
            free(Array(keys.dropFirst()))
            items.append(Item(key: key))
        }
        let certificates = items.indices.filter { items[$0].certificate != nil }
        guard !certificates.isEmpty else {
            throw TLSError(.credentialsInvalid, "certificate store '\(store)' holds no certificate")
        }
        let keys = items.indices.filter { items[$0].key != nil }
        guard !keys.isEmpty else {
            throw TLSError(
                .credentialsInvalid, "certificate store '\(store)' holds no private key (give privateKeyFile?)")
        }

        // Pick the leaf: by name when asked, else the first certificate some key belongs to.
        let leafIndex: Int
        if let wanted = credentials.certificateName {
            guard
                let found = certificates.first(where: {
                    items[$0].friendlyName == wanted || Identity.commonName(items[$0].certificate!) == wanted
                })
            else {
                let names = certificates.compactMap {
                    items[$0].friendlyName ?? Identity.commonName(items[$0].certificate!)
                }
                throw TLSError(
                    .certificateNotFound,
                    "no certificate named '\(wanted)' in '\(store)' (it holds: \(names.joined(separator: ", ")))")
            }
            leafIndex = found
        } else {
            leafIndex =
                certificates.first { index in keys.contains { matches(items[$0], items[index]) } } ?? certificates[0]
        }
        let leaf = items[leafIndex].certificate!
        guard let keyIndex = keys.first(where: { matches(items[$0], items[leafIndex]) }) else {
            let subject = Identity.commonName(leaf) ?? "the certificate"
            throw TLSError(.credentialsKeyMismatch, "no private key in '\(store)' matches \(subject)")
        }
        // Transfer ownership of the chosen objects out of `items`.
        let key = items[keyIndex].key!
        items[keyIndex].key = nil
        items[leafIndex].certificate = nil
        var chain: [OpaquePointer] = []
        for index in certificates where index != leafIndex {
            // PKCS#12 certificates that own a key are other identities, not chain members.
            if items[index].localKeyID != nil
                && keys.contains(where: { items[$0].localKeyID == items[index].localKeyID })
            {
                continue
            }
            chain.append(items[index].certificate!)
            items[index].certificate = nil
        }
        return Identity(certificate: leaf, key: key, chain: chain)
    }

    /// True when `keyItem`'s key belongs to `certItem`'s certificate.
    private static func matches(_ keyItem: Item, _ certItem: Item) -> Bool {
        guard let key = keyItem.key, let certificate = certItem.certificate else { return false }
        if let a = keyItem.localKeyID, let b = certItem.localKeyID { return a == b }
        return X509_check_private_key(certificate, key) == 1
    }

    private static func free(_ items: [Item]) {
        for item in items {
            if let c = item.certificate { X509_free(c) }
            if let k = item.key { EVP_PKEY_free(k) }
        }
    }

    // MARK: reading

    static func readStore(_ path: String, password: String?) throws(TLSError) -> [Item] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw TLSError(.credentialsNotFound, "certificate store '\(path)' does not exist")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            guard let dir = opendir(path) else {
                throw TLSError(.credentialsNotFound, "certificate store directory '\(path)' cannot be read")
            }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if [".pem", ".crt", ".cer", ".key"].contains(where: { name.hasSuffix($0) }) { names.append(name) }
            }
            closedir(dir)
            var items: [Item] = []
            for name in names.sorted() {
                do { items += try readPEMFile("\(path)/\(name)", password: password) } catch {
                    free(items)
                    throw error
                }
            }
            return items
        }
        let bytes = try readFile(path)
        guard !bytes.isEmpty else { throw TLSError(.credentialsInvalid, "certificate store '\(path)' is empty") }
        if bytes.starts(with: Array("-----BEGIN".utf8))
            || String(decoding: bytes.prefix(4096), as: UTF8.self).contains("-----BEGIN ")
        {
            return try parsePEM(bytes, path: path, password: password)
        }
        return try PKCS12Reader.read(bytes, path: path, password: password)
    }

    static func readFile(_ path: String) throws(TLSError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw TLSError(.credentialsNotFound, "'\(path)' cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return bytes
    }

    static func readPEMFile(_ path: String, password: String?) throws(TLSError) -> [Item] {
        try parsePEM(try readFile(path), path: path, password: password)
    }

    /// Every certificate and private key block of a PEM file.
    static func parsePEM(_ bytes: [UInt8], path: String, password: String?) throws(TLSError) -> [Item] {
        let text = String(decoding: bytes, as: UTF8.self)
        var items: [Item] = []
        var rest = Substring(text)
        while let begin = rest.firstRange(of: "-----BEGIN ") {
            guard let labelEnd = rest[begin.upperBound...].firstRange(of: "-----") else { break }
            let label = String(rest[begin.upperBound..<labelEnd.lowerBound])
            guard let end = rest[labelEnd.upperBound...].firstRange(of: "-----END \(label)-----") else {
                free(items)
                throw TLSError(.credentialsInvalid, "'\(path)': the PEM block \(label) has no END line")
            }
            let block = Array(rest[begin.lowerBound..<end.upperBound].utf8)
            rest = rest[end.upperBound...]
            let bio = block.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
            defer { BIO_free(bio) }
            if label == "CERTIFICATE" || label == "TRUSTED CERTIFICATE" {
                guard let x509 = PEM_read_bio_X509(bio, nil, nil, nil) else {
                    free(items)
                    throw TLSError(
                        .credentialsInvalid, "'\(path)': a certificate cannot be parsed",
                        openSSLReason: OpenSSLErrors.lastReason())
                }
                items.append(Item(certificate: x509))
            } else if label.hasSuffix("PRIVATE KEY") {
                let encrypted =
                    label.hasPrefix("ENCRYPTED")
                    || String(decoding: block, as: UTF8.self).contains("Proc-Type: 4,ENCRYPTED")
                let key: OpaquePointer? = (password ?? "").withCString { pw in
                    PEM_read_bio_PrivateKey(bio, nil, nil, UnsafeMutableRawPointer(mutating: pw))
                }
                guard let key else {
                    let reason = OpenSSLErrors.lastReason()
                    free(items)
                    if encrypted {
                        throw TLSError(
                            .credentialsWrongPassword,
                            password == nil
                                ? "'\(path)': the private key is encrypted and no password was given"
                                : "'\(path)': the password does not decrypt the private key", openSSLReason: reason)
                    }
                    throw TLSError(
                        .credentialsInvalid, "'\(path)': a private key cannot be parsed", openSSLReason: reason)
                }
                items.append(Item(key: key))
            }
        }
        _ = OpenSSLErrors.drain()
        return items
    }
}
