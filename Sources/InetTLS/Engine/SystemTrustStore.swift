import COpenSSL
import Glibc

/// How a client context trusts the system store — lazily. OpenSSL's default paths are a hashed
/// directory (one file per root, read when a chain needs it) and a bundle file, which
/// `SSL_CTX_set_default_verify_paths` parses whole for every context: ~140 PEM certificates,
/// ~230 million instructions, 60 ms on the project's machines, paid by each process's first
/// TLS context even when the private roots it was given are all it will ever need.
///
/// Inet adds the same two sources (the environment's `SSL_CERT_DIR`/`SSL_CERT_FILE` when set,
/// else OpenSSL's defaults) as lookups that the verifier asks only for an issuer the context's
/// store does not hold: the directory first, then the bundle — parsed once per process, on the
/// first such question, and shared by every context. The roots trusted are the same.
enum SystemTrustStore {
    /// The bundle's certificates, parsed on first use (never freed: they live for the process).
    // Safe: set once (Swift's lazy global initialisation); parsed certificates are only read
    // after, and OpenSSL counts their references atomically.
    nonisolated(unsafe) private static let bundle: [OpaquePointer] = {
        let envName = X509_get_default_cert_file_env().map { String(cString: $0) } ?? "SSL_CERT_FILE"
        let path = getenv(envName).map { String(cString: $0) } ?? String(cString: X509_get_default_cert_file())
        guard let bio = BIO_new_file(path, "r") else {
            ERR_clear_error()  // no bundle: the directory is all there is, as with OpenSSL's defaults
            return []
        }
        defer { BIO_free(bio) }
        var certificates: [OpaquePointer] = []
        while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) { certificates.append(certificate) }
        ERR_clear_error()  // the end of the file reads as an error
        return certificates
    }()

    /// The lookup method that answers from ``bundle``: adds every certificate with the asked
    /// subject to the asking store (so the next question is answered from its cache) and returns
    /// the first.
    // Safe: configured once before anyone sees it; OpenSSL only reads a method after.
    nonisolated(unsafe) private static let bundleLookup: OpaquePointer? = {
        guard let method = X509_LOOKUP_meth_new("inet-system-bundle") else { return nil }
        X509_LOOKUP_meth_set_get_by_subject(method) { lookup, type, name, result in
            guard type == X509_LU_X509, let name, let result else { return 0 }
            let matches = SystemTrustStore.bundle.filter { X509_NAME_cmp(X509_get_subject_name($0), name) == 0 }
            guard let first = matches.first else { return 0 }
            if let store = X509_LOOKUP_get_store(lookup) {
                for certificate in matches { X509_STORE_add_cert(store, certificate) }  // up-refs; a duplicate is fine
            }
            // OpenSSL takes the result without releasing this reference: one extra count on a
            // certificate the bundle keeps for the life of the process anyway.
            return X509_OBJECT_set1_X509(result, first)
        }
        return method
    }()

    /// Adds the system roots to `context`'s store as lookups (nothing is read now). False when
    /// OpenSSL cannot (its error queue says why).
    static func trust(in context: OpaquePointer) -> Bool {
        guard let store = SSL_CTX_get_cert_store(context),
            let directory = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir()),
            X509_LOOKUP_ctrl(directory, X509_L_ADD_DIR, nil, Int(X509_FILETYPE_DEFAULT), nil) == 1,
            let method = bundleLookup, X509_STORE_add_lookup(store, method) != nil
        else { return false }
        return true
    }

    /// How many certificates the bundle holds (parses it; for tests).
    static var bundleCount: Int { bundle.count }
}
